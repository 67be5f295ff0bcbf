using Microsoft.Extensions.Options;
using PorBot.Conflicts;
using PorBot.Conversations;
using PorBot.Lookups;
using PorBot.Protocol.Activities;
using PorBot.Storage;
using PorBot.Storage.AzureStorage;
using PorBot.Testing;
using PorBot.Tests.Guidance;
using PorBot.Tests.Lookups;

namespace PorBot.Tests.Storage;

/// <summary>The real app with <c>Storage:Provider=AzureStorage</c> against Azurite; two instances share one set of tables.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureStorageProviderTests(AzuriteFixture azurite)
{
    private Dictionary<string, string?> AzureSettings(string prefix) => new Dictionary<string, string?>
    {
        ["Storage:Provider"] = "AzureStorage",
        ["ConnectionStrings:AzureStorage"] = azurite.ConnectionString,
        ["Storage:Azure:TablePrefix"] = prefix,
    };

    [Fact]
    public async Task Start_CreatesTheTablesAndSeedsTheSampleRegistry_LookupsReadAzureTables()
    {
        await using var bot = await BotTestHost.StartAsync(settings: AzureSettings(AzuriteServer.NewTablePrefix()));

        Assert.IsType<AzureTablePorRegistry>(bot.GetRequiredService<IPorRegistry>());
        Assert.IsType<AzureConversationReferenceStore>(bot.GetRequiredService<IConversationReferenceStore>());
        Assert.IsType<AzureDialogStateStore>(bot.GetRequiredService<IDialogStateStore>());
        Assert.IsType<AzureTableClaimStore>(bot.GetRequiredService<IClaimStore>());
        Assert.Single(bot.GetRequiredService<IEnumerable<Microsoft.Extensions.Hosting.IHostedService>>().OfType<AzureClaimFanOutRecovery>());
        Assert.IsType<AzureAlertChannelStore>(bot.GetRequiredService<IAlertChannelStore>());
        var card = CardView.Of(await bot.AskAsync("lookup adventure-works.com"));
        Assert.Equal("Adventure Works", card.Texts[0]);
        Assert.Equal(2, card.Containers.Count);
        Assert.Contains("Source: azure-tables", card.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_DoesNotSeedTwice_AndKeepsWhatWasStored()
    {
        var prefix = AzuriteServer.NewTablePrefix();
        await using (var first = await BotTestHost.StartAsync(settings: AzureSettings(prefix)))
        {
            await first.AskAsync("help");
        }

        await using var second = await BotTestHost.StartAsync(settings: AzureSettings(prefix));
        var clients = second.GetRequiredService<AzureStorageClients>();
        var snapshot = await AzureTableDump.AllAsync(clients);
        Assert.Contains("== RegistryPartners 3", snapshot, StringComparison.Ordinal);
        Assert.Single(await second.GetRequiredService<IConversationReferenceStore>().ListLiveByTenantAsync(Sample.ContosoTenant, default));
    }

    [Fact]
    public async Task OneUsersGuidedDialog_AlternatingBetweenTwoInstances_ContinuesWhereTheOtherLeftIt()
    {
        var prefix = AzuriteServer.NewTablePrefix();
        await using var one = await BotTestHost.StartAsync(settings: AzureSettings(prefix));
        await using var two = await BotTestHost.StartAsync(settings: AzureSettings(prefix));
        var chat = GuideChat.Personal(one);

        var step1 = await chat.SayAsync("por guide");
        chat.Bot = two;
        var step2 = await chat.ClickAsync(step1, "Azure");
        chat.Bot = one;
        var scenario = await chat.ClickAsync(step2, "Microsoft Online Services Agreement (MOSA)");

        Assert.Contains("How did the customer buy **Azure**?", step2.Text, StringComparison.Ordinal);
        Assert.Contains("POR guide: Azure · Microsoft Online Services Agreement (MOSA)", scenario.Text, StringComparison.Ordinal);
        Assert.NotNull(await two.GetRequiredService<IConversationReferenceStore>().GetAsync(TestActivities.UserTenantId, chat.ConversationId, TestActivities.UserAadObjectId, default));
    }

    [Fact]
    public async Task TheSameStepClickedOnTwoInstances_TheSecondClickIsRecognisedAsStale()
    {
        var prefix = AzuriteServer.NewTablePrefix();
        await using var one = await BotTestHost.StartAsync(settings: AzureSettings(prefix));
        await using var two = await BotTestHost.StartAsync(settings: AzureSettings(prefix));
        var chat = GuideChat.Personal(one);
        var step1 = await chat.SayAsync("por guide");

        chat.Bot = two;
        await chat.ClickAsync(step1, "Intune");
        chat.Bot = one;
        var late = await chat.ClickAsync(step1, "Azure");

        Assert.Contains("That button is from an earlier step", late.Text, StringComparison.Ordinal);
        Assert.Contains("How did the customer buy **Intune**?", late.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlertsHereOnOneInstance_IsSeenByTheOther_WhichCanTurnItOff()
    {
        var settings = AzureSettings(AzuriteServer.NewTablePrefix());
        settings["PorBot:Operators:0"] = Sample.OperatorAadObjectId;
        await using var one = await BotTestHost.StartAsync(settings: settings);
        await using var two = await BotTestHost.StartAsync(settings: settings);
        const string chat = "19:contoso-deal-desk@thread.v2";

        var here = await OperatorSaysInGroupChatAsync(one, chat, "alerts here");
        var status = await two.AskAsync("alerts status", Sample.ContosoTenant);
        var off = await OperatorSaysInGroupChatAsync(two, chat, "alerts off here");
        var offAgain = await OperatorSaysInGroupChatAsync(one, chat, "alerts off here");

        Assert.StartsWith("Done: conflict alerts for Contoso Cloud Partners (4412345) will be posted here", here.Text, StringComparison.Ordinal);
        Assert.Contains($"A group chat, conversation {chat}", status.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("PorBot was removed from it", status.Text, StringComparison.Ordinal);
        Assert.Equal(AlertChannelTexts.Removed, off.Text);
        Assert.Equal(AlertChannelTexts.NotDesignated, offAgain.Text);
    }

    /// <summary>An operator @mentions the bot in a Contoso group chat; the bot's one reply there.</summary>
    private static async Task<Activity> OperatorSaysInGroupChatAsync(BotTestHost bot, string conversationId, string text)
    {
        var activity = TestActivities.GroupMention(bot.Connector.ServiceUrl, text, conversationId);
        activity.Id = Guid.NewGuid().ToString("N");
        activity.From!.AadObjectId = Sample.OperatorAadObjectId;
        bool IsReply(ConnectorRequest r) => r.Operation == ConnectorOperation.ReplyToActivity && r.ConversationId == conversationId;
        var before = bot.Connector.Activities.Count(IsReply);
        using var response = await bot.PostActivityAsync(activity);
        response.EnsureSuccessStatusCode();
        var replies = bot.Connector.Activities.Where(IsReply).ToList();
        Assert.Equal(before + 1, replies.Count);
        return replies[^1].Activity!;
    }

    [Fact]
    public async Task Start_AzureStorageWithoutConnection_FailsNamingTheKeys()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => BotTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "AzureStorage",
        }));

        Assert.Contains("needs ConnectionStrings:AzureStorage", error.Message, StringComparison.Ordinal);
    }
}

public sealed class StorageOptionsTests
{
    private static List<string> Failures(Action<StorageOptions> configure)
    {
        var options = new StorageOptions { Provider = "AzureStorage" };
        configure(options);
        var result = new StorageOptionsValidator().Validate(null, options);
        return result.Failed ? result.Failures.ToList() : [];
    }

    [Fact]
    public void Sqlite_IsValidWithoutAnyAzureSetting() =>
        Assert.False(new StorageOptionsValidator().Validate(null, new StorageOptions()).Failed);

    [Fact]
    public void UnknownProvider_FailsNamingTheChoices()
    {
        var result = new StorageOptionsValidator().Validate(null, new StorageOptions { Provider = "Cosmos" });

        Assert.Equal("Storage:Provider must be 'Sqlite' or 'AzureStorage' (was 'Cosmos').", Assert.Single(result.Failures!));
    }

    [Fact]
    public void ConnectionString_Azurite_IsValid() =>
        Assert.Empty(Failures(o => o.Azure.ConnectionString = "UseDevelopmentStorage=true"));

    [Fact]
    public void ConnectionString_NotAConnectionString_FailsWithoutEchoingIt()
    {
        var failure = Assert.Single(Failures(o => o.Azure.ConnectionString = "AccountKey=s3cret-but-wrong"));

        Assert.StartsWith("ConnectionStrings:AzureStorage is not a storage connection string", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectionStringAndServiceUris_Together_Fail() =>
        Assert.Contains("not both", Assert.Single(Failures(o =>
        {
            o.Azure.ConnectionString = "UseDevelopmentStorage=true";
            o.Azure.TableServiceUri = "https://porbot.table.core.windows.net";
        })), StringComparison.Ordinal);

    [Fact]
    public void ManagedIdentity_HttpsServiceUrisAndClientId_IsValid() =>
        Assert.Empty(Failures(o =>
        {
            o.Azure.TableServiceUri = "https://porbot.table.core.windows.net";
            o.Azure.QueueServiceUri = "https://porbot.queue.core.windows.net";
            o.Azure.Credential = "ManagedIdentity";
            o.Azure.ManagedIdentityClientId = "5e3f7a8b-1c2d-4e5f-9a0b-c1d2e3f4a5b6";
        }));

    [Fact]
    public void ManagedIdentity_MissingQueueUriHttpTableUriBadClientIdAndCredential_ListsEveryProblem()
    {
        var failures = Failures(o =>
        {
            o.Azure.TableServiceUri = "http://porbot.table.core.windows.net";
            o.Azure.Credential = "Password";
            o.Azure.ManagedIdentityClientId = "porbot-identity";
        });

        Assert.Contains(failures, f => f.StartsWith("Storage:Azure:TableServiceUri must be an absolute https URL", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Storage:Azure:QueueServiceUri is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Storage:Azure:Credential must be 'Default' or 'ManagedIdentity'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Storage:Azure:ManagedIdentityClientId must be the client id", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1abc")]
    [InlineData("por-bot")]
    [InlineData("ThisPrefixIsMuchTooLongForAzure")]
    public void TablePrefix_NotLettersAndDigitsStartingWithALetter_Fails(string prefix) =>
        Assert.StartsWith("Storage:Azure:TablePrefix must be", Assert.Single(Failures(o =>
        {
            o.Azure.ConnectionString = "UseDevelopmentStorage=true";
            o.Azure.TablePrefix = prefix;
        })), StringComparison.Ordinal);
}
