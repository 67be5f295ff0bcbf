using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace PorBot.Conflicts;

/// <summary>Which limit refused a send.</summary>
public enum SendScope
{
    Conversation,
    Tenant,
}

/// <param name="Scope">A tenant refusal holds back every conversation of that tenant.</param>
/// <param name="RetryIn">When a send could start; null when it depends on a send in flight ending.</param>
public readonly record struct SendRefusal(SendScope Scope, TimeSpan? RetryIn);

/// <summary>
/// Teams' send limits (bot-protocol.md §5.8) for the alert worker: per conversation and per tenant, one instance for
/// the process. Each "N sends in any window W" is a bucket of N tokens in which a spent token comes back W after its
/// send <em>ended</em>. Two simpler buckets are wrong here: one refilled at N per W lets 2N through in a single
/// window (a full bucket, then a window's refill), and one counting from the start of a send lets Teams see two sends
/// less than W apart when the first one travelled slower. Counting from the end costs one round trip per window and
/// cannot be beaten by network jitter. A conversation also has at most one send in flight, as Teams asks.
/// </summary>
public sealed class AlertSendLimiter
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time;
    private readonly SendRateLimit[] _conversationLimits;
    private readonly SendRateLimit[] _tenantLimits;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Bucket> _conversations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Bucket> _tenants = new(StringComparer.OrdinalIgnoreCase);
    private long _nextSweep;

    public AlertSendLimiter(TimeProvider time, IOptions<AlertDeliveryOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _conversationLimits = [.. options.Value.EffectiveConversationLimits];
        _tenantLimits = [.. options.Value.EffectiveTenantLimits];
        _nextSweep = time.GetTimestamp() + Ticks(SweepInterval);
    }

    /// <summary>
    /// A permit when a send to this conversation may start now (it then counts against every limit until disposed),
    /// else why not and for how long. Tenant ids compare case-insensitively: Teams spells them either way.
    /// </summary>
    public bool TryAcquire(string? tenantId, string conversationId, [NotNullWhen(true)] out SendPermit? permit, out SendRefusal refusal)
    {
        ArgumentException.ThrowIfNullOrEmpty(conversationId);
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (now >= _nextSweep) Sweep(now);

            var conversation = GetBucket(_conversations, conversationId, _conversationLimits);
            var tenant = string.IsNullOrEmpty(tenantId) ? null : GetBucket(_tenants, tenantId, _tenantLimits);
            permit = null;
            if (conversation.Busy)
            {
                refusal = new SendRefusal(SendScope.Conversation, null);
                return false;
            }

            var conversationWait = Math.Max(conversation.Wait(now), conversation.PausedUntil > now ? conversation.PausedUntil - now : 0);
            var tenantWait = tenant?.Wait(now) ?? 0;
            if (conversationWait != 0 || tenantWait != 0)
            {
                // The longer wait decides: a tenant refusal holds back all its conversations, so prefer it when it covers this one's.
                refusal = tenantWait == Unknown || (conversationWait != Unknown && tenantWait >= conversationWait)
                    ? new SendRefusal(SendScope.Tenant, ToTimeSpan(tenantWait))
                    : new SendRefusal(SendScope.Conversation, ToTimeSpan(conversationWait));
                return false;
            }

            var send = new Send();
            conversation.Add(send);
            tenant?.Add(send);
            conversation.Busy = true;
            permit = new SendPermit(this, conversation, send);
            refusal = default;
            return true;
        }
    }

    /// <summary>Holds back this conversation (Teams answered 429 with Retry-After); other conversations go on.</summary>
    public void PauseConversation(string conversationId, TimeSpan delay)
    {
        ArgumentException.ThrowIfNullOrEmpty(conversationId);
        lock (_gate)
        {
            var conversation = GetBucket(_conversations, conversationId, _conversationLimits);
            var capped = delay > TimeSpan.FromDays(1) ? TimeSpan.FromDays(1) : delay;
            conversation.PausedUntil = Math.Max(conversation.PausedUntil, _time.GetTimestamp() + Ticks(capped));
        }
    }

    internal void End(Send send)
    {
        lock (_gate)
        {
            if (send.EndedAt == Send.InFlight) send.EndedAt = _time.GetTimestamp();
        }
    }

    internal void Release(Bucket conversation, Send send, bool started)
    {
        lock (_gate)
        {
            // A permit never used for a call gives its tokens back at once; a used one counts from the end of its call.
            if (!started) send.EndedAt = Send.Unused;
            else if (send.EndedAt == Send.InFlight) send.EndedAt = _time.GetTimestamp();
            conversation.Busy = false;
        }
    }

    private const long Unknown = -1;

    private TimeSpan? ToTimeSpan(long ticks) => ticks == Unknown ? null : TimeSpan.FromSeconds(ticks / (double)_time.TimestampFrequency);

    private long Ticks(TimeSpan span) => (long)Math.Ceiling(span.TotalSeconds * _time.TimestampFrequency);

    private Bucket GetBucket(Dictionary<string, Bucket> buckets, string key, SendRateLimit[] limits)
    {
        if (!buckets.TryGetValue(key, out var bucket))
        {
            bucket = new Bucket(limits.Select(l => new Window(l.Sends, Ticks(l.Window))).ToArray());
            buckets[key] = bucket;
        }

        return bucket;
    }

    // Idle buckets go, so a long-running process does not keep every conversation it ever alerted.
    private void Sweep(long now)
    {
        foreach (var buckets in new[] { _conversations, _tenants })
        {
            foreach (var (key, bucket) in buckets.Where(b => b.Value.IsIdle(now)).ToList()) buckets.Remove(key);
        }

        _nextSweep = now + Ticks(SweepInterval);
    }

    internal sealed class Send
    {
        public const long InFlight = long.MaxValue;
        public const long Unused = long.MinValue;

        /// <summary>The timestamp its call ended; <see cref="InFlight"/> until then.</summary>
        public long EndedAt { get; set; } = InFlight;
    }

    internal sealed class Bucket(Window[] windows)
    {
        public bool Busy { get; set; }

        public long PausedUntil { get; set; }

        /// <summary>0 when every window has a token, else the ticks until all have, or <see cref="Unknown"/>.</summary>
        public long Wait(long now)
        {
            long wait = 0;
            foreach (var window in windows)
            {
                var w = window.Wait(now);
                if (w == Unknown) return Unknown;
                wait = Math.Max(wait, w);
            }

            return wait;
        }

        public void Add(Send send)
        {
            foreach (var window in windows) window.Add(send);
        }

        public bool IsIdle(long now) => !Busy && PausedUntil <= now && windows.All(w => w.IsEmpty(now));
    }

    /// <summary>The sends that still count against "at most <c>capacity</c> in any <c>length</c> ticks".</summary>
    internal sealed class Window(int capacity, long length)
    {
        private readonly List<Send> _sends = [];

        public long Wait(long now)
        {
            Prune(now);
            if (_sends.Count < capacity) return 0;
            var firstBack = long.MaxValue;
            foreach (var send in _sends)
            {
                if (send.EndedAt != Send.InFlight) firstBack = Math.Min(firstBack, send.EndedAt + length);
            }

            return firstBack == long.MaxValue ? Unknown : firstBack - now;
        }

        public void Add(Send send) => _sends.Add(send);

        public bool IsEmpty(long now)
        {
            Prune(now);
            return _sends.Count == 0;
        }

        private void Prune(long now) => _sends.RemoveAll(s => s.EndedAt != Send.InFlight && (s.EndedAt == Send.Unused || s.EndedAt <= now - length));
    }
}

/// <summary>
/// The right to send once to one conversation. Call <see cref="Start"/> just before the connector call and
/// <see cref="End"/> when it returned or failed; dispose when the row's outcome is written, which lets the
/// conversation's next send start. A permit disposed without <see cref="Start"/> costs nothing.
/// </summary>
public sealed class SendPermit : IDisposable
{
    private readonly AlertSendLimiter _owner;
    private readonly AlertSendLimiter.Bucket _conversation;
    private readonly AlertSendLimiter.Send _send;
    private bool _disposed;

    internal SendPermit(AlertSendLimiter owner, AlertSendLimiter.Bucket conversation, AlertSendLimiter.Send send)
    {
        _owner = owner;
        _conversation = conversation;
        _send = send;
    }

    /// <summary>True once the connector call began: from then on the send counts, whatever its outcome.</summary>
    public bool Started { get; private set; }

    public void Start() => Started = true;

    public void End()
    {
        if (Started) _owner.End(_send);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _owner.Release(_conversation, _send, Started);
    }
}
