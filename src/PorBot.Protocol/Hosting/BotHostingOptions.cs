using System.ComponentModel.DataAnnotations;

namespace PorBot.Protocol.Hosting;

/// <summary>Section <c>Bot</c>: limits and timings of the messaging endpoint.</summary>
public sealed class BotHostingOptions
{
    public const string SectionName = "Bot";

    /// <summary>Largest accepted activity body. Teams caps messages at about 100 KB, so 256 KB is generous.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxRequestBodyBytes { get; set; } = 256 * 1024;

    /// <summary>A message turn still running after this long shows a typing indicator.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:30")]
    public TimeSpan TypingIndicatorDelay { get; set; } = TimeSpan.FromMilliseconds(800);
}
