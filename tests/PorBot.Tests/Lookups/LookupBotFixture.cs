namespace PorBot.Tests.Lookups;

/// <summary>One bot (real app, sample data, one operator configured) shared by a test class; lookups only read.</summary>
public sealed class LookupBotFixture : IAsyncLifetime
{
    public BotTestHost Bot { get; private set; } = null!;

    public async Task InitializeAsync() => Bot = await BotTestHost.StartAsync(settings: Sample.OperatorSettings);

    public async Task DisposeAsync() => await Bot.DisposeAsync();
}
