using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PorBot.Conflicts;

namespace PorBot.Tests.Conflicts;

public sealed class AlertSendLimiterTests
{
    private const string Tenant = "1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01";
    private readonly FakeTimeProvider _time = new();

    private AlertSendLimiter Limiter(IEnumerable<(int Sends, double Seconds)>? conversation = null, IEnumerable<(int Sends, double Seconds)>? tenant = null)
    {
        static List<SendRateLimit> Limits(IEnumerable<(int Sends, double Seconds)>? limits) =>
            limits?.Select(l => new SendRateLimit { Sends = l.Sends, Window = TimeSpan.FromSeconds(l.Seconds) }).ToList() ?? [];
        return new AlertSendLimiter(_time, Options.Create(new AlertDeliveryOptions { ConversationLimits = Limits(conversation), TenantLimits = Limits(tenant) }));
    }

    /// <summary>A whole send: permit, call, end, outcome written.</summary>
    private static void Send(AlertSendLimiter limiter, string conversation, string tenant = Tenant)
    {
        Assert.True(limiter.TryAcquire(tenant, conversation, out var permit, out var refusal), $"refused: {refusal}");
        permit.Start();
        permit.End();
        permit.Dispose();
    }

    [Fact]
    public void TryAcquire_WhileTheConversationHasASendInFlight_RefusedUntilItEnds()
    {
        var limiter = Limiter();
        Assert.True(limiter.TryAcquire(Tenant, "a:1", out var first, out _));
        first.Start();

        Assert.False(limiter.TryAcquire(Tenant, "a:1", out _, out var refusal));
        Assert.Equal(new SendRefusal(SendScope.Conversation, null), refusal);
        Assert.True(limiter.TryAcquire(Tenant, "a:2", out var other, out _));

        first.End();
        first.Dispose();
        other.Dispose();
        Assert.True(limiter.TryAcquire(Tenant, "a:1", out _, out _));
    }

    [Fact]
    public void TryAcquire_ThreeInstancesShareTeamsLimits_EachTakesAThirdOfEveryWindow()
    {
        var limiter = new AlertSendLimiter(_time, Options.Create(new AlertDeliveryOptions { InstanceCount = 3 }));
        // Teams allows 7 per second in a conversation and 50 per second in a tenant: 2 and 16 for each of three instances.
        for (var i = 0; i < 2; i++) Send(limiter, "a:1");

        Assert.False(limiter.TryAcquire(Tenant, "a:1", out _, out var refusal));
        Assert.Equal(SendScope.Conversation, refusal.Scope);
        for (var i = 0; i < 14; i++) Send(limiter, $"a:other-{i}");
        Assert.False(limiter.TryAcquire(Tenant, "a:another", out _, out refusal));
        Assert.Equal(SendScope.Tenant, refusal.Scope);
    }

    [Fact]
    public void TryAcquire_SevenSendsInASecond_TheEighthWaitsUntilASecondAfterTheFirstEnded()
    {
        var limiter = Limiter(conversation: [(7, 1)]);
        for (var i = 0; i < 7; i++)
        {
            Send(limiter, "a:1");
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.False(limiter.TryAcquire(Tenant, "a:1", out _, out var refusal));
        Assert.Equal(SendScope.Conversation, refusal.Scope);
        Assert.Equal(TimeSpan.FromMilliseconds(300), refusal.RetryIn);

        _time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.True(limiter.TryAcquire(Tenant, "a:1", out _, out _));
    }

    [Fact]
    public void TryAcquire_ASlowSend_CountsFromWhenItEnded()
    {
        var limiter = Limiter(conversation: [(1, 1)]);
        Assert.True(limiter.TryAcquire(Tenant, "a:1", out var permit, out _));
        permit.Start();
        _time.Advance(TimeSpan.FromSeconds(5));
        permit.End();
        permit.Dispose();

        // Teams may have counted it just now: the next send waits a full window from here, not from the start.
        Assert.False(limiter.TryAcquire(Tenant, "a:1", out _, out var refusal));
        Assert.Equal(TimeSpan.FromSeconds(1), refusal.RetryIn);
    }

    [Fact]
    public void TryAcquire_APermitDisposedWithoutSending_CostsNothing()
    {
        var limiter = Limiter(conversation: [(1, 60)], tenant: [(1, 60)]);
        Assert.True(limiter.TryAcquire(Tenant, "a:1", out var unused, out _));
        unused.Dispose();

        Assert.True(limiter.TryAcquire(Tenant, "a:1", out _, out _));
    }

    [Fact]
    public void TryAcquire_FiftySendsInATenant_TheNextConversationOfThatTenantWaitsOthersDoNot()
    {
        var limiter = Limiter();
        for (var i = 0; i < 50; i++) Send(limiter, $"19:channel-{i}");

        Assert.False(limiter.TryAcquire(Tenant, "19:channel-50", out _, out var refusal));
        Assert.Equal(new SendRefusal(SendScope.Tenant, TimeSpan.FromSeconds(1)), refusal);
        Assert.True(limiter.TryAcquire("2a1b2c3d-8e9f-4a0b-8c1d-2e3f4a5b6c02", "19:elsewhere", out _, out _));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire(Tenant.ToUpperInvariant(), "19:channel-50", out _, out _));
    }

    [Fact]
    public void PauseConversation_HoldsBackOnlyThatConversation()
    {
        var limiter = Limiter();
        limiter.PauseConversation("a:1", TimeSpan.FromSeconds(2));

        Assert.False(limiter.TryAcquire(Tenant, "a:1", out _, out var refusal));
        Assert.Equal(new SendRefusal(SendScope.Conversation, TimeSpan.FromSeconds(2)), refusal);
        Assert.True(limiter.TryAcquire(Tenant, "a:2", out _, out _));

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(limiter.TryAcquire(Tenant, "a:1", out _, out _));
    }

    [Fact]
    public void TeamsDefaults_ASenderAsFastAsAllowed_KeepsEveryDocumentedWindow()
    {
        var limiter = Limiter();
        var sent = new List<TimeSpan>();
        var start = _time.GetTimestamp();
        while (sent.Count < 130)
        {
            if (limiter.TryAcquire(Tenant, "a:1", out var permit, out var refusal))
            {
                permit.Start();
                permit.End();
                permit.Dispose();
                sent.Add(_time.GetElapsedTime(start));
            }
            else
            {
                _time.Advance(refusal.RetryIn!.Value);
            }
        }

        foreach (var limit in AlertDeliveryOptions.TeamsConversationLimits)
        {
            Assert.All(sent, at => Assert.InRange(sent.Count(t => t >= at && t < at + limit.Window), 1, limit.Sends));
        }

        // As fast as allowed, not slower: the 61st send waits for the 30-second window, and no longer.
        Assert.Equal(sent[0] + TimeSpan.FromSeconds(30), sent[60]);
    }
}
