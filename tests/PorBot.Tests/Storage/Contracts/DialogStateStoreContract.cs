using System.Text.Json;
using PorBot.Conversations;

namespace PorBot.Tests.Storage.Contracts;

/// <summary>
/// What every <see cref="IDialogStateStore"/> does, whatever holds the state. "Another instance" is a
/// second store over the same storage, as a second bot process behind a load balancer would have.
/// </summary>
public abstract class DialogStateStoreContract : IAsyncLifetime
{
    private static readonly DialogKey Key = new("tenant-1", "a:personal-chat-1", "29:user-1");

    /// <summary>A store over this test's storage; every call gives another instance over the same data.</summary>
    protected abstract IDialogStateStore CreateStore();

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    [Fact]
    public async Task Get_NothingSaved_ReturnsNull() =>
        Assert.Null(await CreateStore().GetAsync(Key, default));

    [Fact]
    public async Task TrySave_FirstSaveAtVersionZero_StoresVersionOne()
    {
        var store = CreateStore();

        Assert.True(await store.TrySaveAsync(Key, State("step", 1), 0, default));

        var saved = await store.GetAsync(Key, default);
        Assert.NotNull(saved);
        Assert.Equal(1, saved.Version);
        Assert.Equal(1, saved.State.GetProperty("step").GetInt32());
        Assert.InRange(saved.UpdatedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task TrySave_VersionZeroWhenAlreadyStored_FailsAndKeepsTheStoredState()
    {
        var store = CreateStore();
        Assert.True(await store.TrySaveAsync(Key, State("step", 1), 0, default));

        Assert.False(await CreateStore().TrySaveAsync(Key, State("step", 99), 0, default));

        Assert.Equal(1, (await store.GetAsync(Key, default))!.State.GetProperty("step").GetInt32());
    }

    [Fact]
    public async Task TrySave_CurrentVersion_AdvancesTheVersion()
    {
        var store = CreateStore();
        Assert.True(await store.TrySaveAsync(Key, State("step", 1), 0, default));

        Assert.True(await store.TrySaveAsync(Key, State("step", 2), 1, default));
        Assert.True(await store.TrySaveAsync(Key, State("step", 3), 2, default));

        var saved = await store.GetAsync(Key, default);
        Assert.Equal(3, saved!.Version);
        Assert.Equal(3, saved.State.GetProperty("step").GetInt32());
    }

    [Fact]
    public async Task TrySave_StaleVersionAfterAnotherInstanceSaved_FailsAndKeepsTheirStep()
    {
        var mine = CreateStore();
        var theirs = CreateStore();
        Assert.True(await mine.TrySaveAsync(Key, State("step", 1), 0, default));
        var read = await mine.GetAsync(Key, default);

        Assert.True(await theirs.TrySaveAsync(Key, State("step", 20), read!.Version, default));
        Assert.False(await mine.TrySaveAsync(Key, State("step", 10), read.Version, default));

        var saved = await mine.GetAsync(Key, default);
        Assert.Equal(2, saved!.Version);
        Assert.Equal(20, saved.State.GetProperty("step").GetInt32());
    }

    [Fact]
    public async Task TrySave_VersionThatWasNeverStored_Fails()
    {
        var store = CreateStore();
        Assert.False(await store.TrySaveAsync(Key, State("step", 1), 5, default));
        Assert.True(await store.TrySaveAsync(Key, State("step", 1), 0, default));
        Assert.False(await store.TrySaveAsync(Key, State("step", 2), 7, default));
        Assert.Equal(1, (await store.GetAsync(Key, default))!.Version);
    }

    [Fact]
    public async Task TwoInstancesAdvancingOneDialogFromTheSameVersion_ExactlyOneWins()
    {
        Assert.True(await CreateStore().TrySaveAsync(Key, State("step", 1), 0, default));

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => CreateStore().TrySaveAsync(Key, State("step", 100 + i), 1, default)));

        Assert.Equal(1, results.Count(r => r));
        var saved = await CreateStore().GetAsync(Key, default);
        Assert.Equal(2, saved!.Version);
        Assert.Equal(100 + Array.IndexOf(results, true), saved.State.GetProperty("step").GetInt32());
    }

    [Fact]
    public async Task ManyInstancesRetryingReadThenSave_LoseNoUpdate()
    {
        const int writers = 6;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
        {
            var store = CreateStore();
            while (true)
            {
                var current = await store.GetAsync(Key, default);
                var seen = current?.State.GetProperty("writers").EnumerateArray().Select(e => e.GetInt32()).ToList() ?? [];
                var next = JsonSerializer.SerializeToElement(new { writers = seen.Append(writer).ToArray() });
                if (await store.TrySaveAsync(Key, next, current?.Version ?? 0, default)) return;
            }
        }));

        var saved = await CreateStore().GetAsync(Key, default);
        Assert.Equal(writers, saved!.Version);
        Assert.Equal(Enumerable.Range(0, writers), saved.State.GetProperty("writers").EnumerateArray().Select(e => e.GetInt32()).Order());
    }

    [Fact]
    public async Task Delete_RemovesTheDialog_AndANewOneStartsAtVersionOne()
    {
        var store = CreateStore();
        Assert.True(await store.TrySaveAsync(Key, State("step", 1), 0, default));
        Assert.True(await store.TrySaveAsync(Key, State("step", 2), 1, default));

        await CreateStore().DeleteAsync(Key, default);

        Assert.Null(await store.GetAsync(Key, default));
        Assert.False(await store.TrySaveAsync(Key, State("step", 3), 2, default));
        Assert.True(await store.TrySaveAsync(Key, State("step", 1), 0, default));
        Assert.Equal(1, (await store.GetAsync(Key, default))!.Version);
    }

    [Fact]
    public async Task Delete_NothingStored_DoesNothing() => await CreateStore().DeleteAsync(Key, default);

    [Fact]
    public async Task Keys_UsersAndConversationsAreSeparate_EvenWithSeparatorLikeCharacters()
    {
        var store = CreateStore();
        DialogKey[] keys =
        [
            new("t", "19:abc@thread.tacv2;messageid=1", "u|1"),
            new("t", "19:abc@thread.tacv2;messageid=1", "u"),
            new("t|19:abc@thread.tacv2;messageid=1", "", "u"),
            new("t", "a/b#c?d\\e%25", "ü 1"),
            new("t", "a/b#c?d\\e%", "ü 1"),
            new("", "conv", ""),
        ];

        for (var i = 0; i < keys.Length; i++) Assert.True(await store.TrySaveAsync(keys[i], State("i", i), 0, default));

        for (var i = 0; i < keys.Length; i++) Assert.Equal(i, (await CreateStore().GetAsync(keys[i], default))!.State.GetProperty("i").GetInt32());
    }

    private static JsonElement State(string name, int value) => JsonSerializer.SerializeToElement(new Dictionary<string, int> { [name] = value });
}
