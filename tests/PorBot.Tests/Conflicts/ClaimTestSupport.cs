using PorBot.Conflicts;
using PorBot.Conversations;
using PorBot.Lookups;
using PorBot.Storage.Sqlite;
using PorBot.Tests.Lookups;

namespace PorBot.Tests.Conflicts;

/// <summary>The sample registry as the claim tests use it (src/PorBot/Storage/Sqlite/SampleData.cs).</summary>
internal static class Claims
{
    public const string Contoso = "4412345";
    public const string Fabrikam = "5523456";
    public const string Northwind = "6634567";

    /// <summary>Adventure Works, Azure (EA): Contoso is POR.</summary>
    public static readonly Guid ContosoHeld = Guid.Parse(Sample.AdventureWorksAzure);

    /// <summary>Tailspin Toys, Office 365 (Open): no POR.</summary>
    public static readonly Guid Unheld = Guid.Parse("1d2e3f4a-5b6c-4d8e-9f9a-0b1c2d3e4f14");

    public const string ApiKey = "first-key-0123456789abcdef0123456789";
    public const string RotatedApiKey = "second-key-0123456789abcdef01234567";

    public static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?>
    {
        ["PorBot:Operators:0"] = Sample.OperatorAadObjectId,
        ["Claims:ApiKeys:0:Name"] = "crm",
        ["Claims:ApiKeys:0:Key"] = ApiKey,
        ["Claims:ApiKeys:1:Name"] = "crm-next",
        ["Claims:ApiKeys:1:Key"] = RotatedApiKey,
        // Claim tests look at the outbox as the claim left it; delivery tests poll fast on their own settings.
        ["Alerts:PollInterval"] = "00:10:00",
    };

    /// <summary>The claim settings with the worker polling and retrying fast, for tests that watch delivery happen.</summary>
    public static Dictionary<string, string?> FastDeliverySettings() => new(Settings)
    {
        ["Alerts:PollInterval"] = "00:00:00.050",
        ["Alerts:RetryBaseDelay"] = "00:00:00.050",
        ["Alerts:RetryMaxDelay"] = "00:00:00.200",
    };

    public static Task<BotTestHost> StartBotAsync() => BotTestHost.StartAsync(settings: Settings);

    public static ClaimService Service(this BotTestHost bot) => bot.GetRequiredService<ClaimService>();

    public static Task<ClaimResult> ClaimAsync(this BotTestHost bot, Guid subscription, string partner, string? idempotencyKey = null) =>
        bot.Service().ClaimAsync(new ClaimRequest(subscription, partner, ClaimSources.Chat, IdempotencyKey: idempotencyKey), CancellationToken.None);

    /// <summary>
    /// A place where the partner owning <paramref name="tenantId"/> can be reached: a personal chat, or a channel with
    /// user '' that, unless <paramref name="designated"/> is false, was chosen for alerts (as <c>alerts here</c> does).
    /// </summary>
    /// <param name="teamAadGroupId">For a channel: its team's Entra group id, as Teams sends it.</param>
    /// <param name="userId">The user's 29: id in a personal chat (what a captured reference holds): its card refreshes automatically.</param>
    public static async Task AddConversationAsync(this BotTestHost bot, string tenantId, string conversationId, string user = "", string? userId = null, bool designated = true, string? teamAadGroupId = null)
    {
        await bot.GetRequiredService<IConversationReferenceStore>().UpsertAsync(new StoredConversationReference
        {
            TenantId = tenantId,
            ConversationId = conversationId,
            UserAadObjectId = user,
            UserId = userId,
            BotId = TestActivities.BotId,
            ServiceUrl = bot.Connector.ServiceUrl,
            ServiceUrlVerified = true,
            ChannelId = "msteams",
            ConversationType = user.Length == 0 ? "channel" : "personal",
            TeamAadGroupId = teamAadGroupId,
        }, CancellationToken.None);
        if (user.Length > 0 || !designated) return;

        var partner = await bot.GetRequiredService<IPorRegistry>().GetPartnerByTenantAsync(Guid.Parse(tenantId), CancellationToken.None);
        await bot.GetRequiredService<IAlertChannelStore>().DesignateAsync(new AlertChannel(tenantId, conversationId, partner!.PartnerId, "channel", null,
            Sample.OperatorAadObjectId, DateTimeOffset.UtcNow), CancellationToken.None);
    }

    public static async Task<List<OutboxRow>> OutboxAsync(this BotTestHost bot)
    {
        await using var connection = await bot.GetRequiredService<SqliteDatabase>().OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT conflict_id, kind, revision, party_partner_id, target_tenant_id, target_conversation_id, target_user_aad_object_id, status
            FROM alert_outbox ORDER BY kind, revision, party_partner_id, target_conversation_id
            """;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<OutboxRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new OutboxRow(Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetInt32(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetString(7)));
        }

        return rows;
    }

    public static async Task<long> CountAsync(this BotTestHost bot, string table)
    {
        await using var connection = await bot.GetRequiredService<SqliteDatabase>().OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table}";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static async Task ExecuteAsync(this BotTestHost bot, string sql)
    {
        await using var connection = await bot.GetRequiredService<SqliteDatabase>().OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}

internal sealed record OutboxRow(Guid ConflictId, string Kind, int Revision, string Party, string? Tenant, string? Conversation, string? User, string Status);

