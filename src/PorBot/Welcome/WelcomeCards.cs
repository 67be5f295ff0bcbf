using PorBot.Protocol.Activities;
using PorBot.Protocol.Cards;

namespace PorBot.Welcome;

/// <summary>The welcome/help card and the "didn't understand" card, listing what the wired features can do.</summary>
public sealed class WelcomeCards(IEnumerable<HelpEntry> entries)
{
    private readonly HelpEntry[] _entries = entries.OrderBy(e => e.Order).ThenBy(e => e.Title, StringComparer.Ordinal).ToArray();
    private object? _welcomeJson;

    /// <summary>
    /// The welcome card as an attachment, serialised once: it depends only on the features wired at start-up,
    /// and building and serialising it on every help turn was the largest part of that turn's own CPU
    /// (bench/README.md, "What changed").
    /// </summary>
    public Attachment WelcomeAttachment() => new()
    {
        ContentType = Attachment.AdaptiveCardContentType,
        Content = _welcomeJson ??= ProtocolJson.ToElement(Welcome()),
    };

    public AdaptiveCard Welcome()
    {
        var card = new AdaptiveCard()
            .AddHeading("PorBot")
            .AddText("Your Partner of Record (POR) assistant", isSubtle: true, spacing: Spacing.None)
            .AddText("Being listed as Partner of Record for the customers you work with affects your partner " +
                     "program standing, benefits and incentive payments. I help you get it right.");
        AddCapabilities(card);
        return card.WithFallbackText("PorBot, your Partner of Record assistant. Type help to see what I can do.");
    }

    public AdaptiveCard NotUnderstood(string text)
    {
        var card = new AdaptiveCard()
            .AddText("Sorry, I didn't understand that:", weight: TextWeight.Bolder)
            // The user's words are shown verbatim: never interpreted as markdown or links.
            .AddVerbatimText(text.Length > 200 ? text[..200] + "…" : text, isSubtle: true)
            .AddText("Here is what I can help with:");
        AddCapabilities(card);
        return card.WithFallbackText("Sorry, I didn't understand that. Type help to see what I can do.");
    }

    private void AddCapabilities(AdaptiveCard card)
    {
        foreach (var entry in _entries)
        {
            card.AddContainer(ContainerStyle.Emphasis, c => c
                .AddText(entry.Title, weight: TextWeight.Bolder)
                .AddText(entry.Description, spacing: Spacing.Small)
                .AddActionSet(entry.Examples.Take(3).Select(SendText)));
        }
    }

    /// <summary>A button that posts its text as if the user typed it (Teams imBack), so typed and clicked paths are one.</summary>
    public static SubmitAction SendText(string text) => SubmitAction.ImBack(text, text);
}
