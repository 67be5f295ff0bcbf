using PorBot.Protocol.Cards;

namespace PorBot.Protocol.Tests.Cards;

/// <summary>One card with every element, action and root property the model supports, built the way app code would.</summary>
internal static class KitchenSinkCard
{
    public const string UntrustedName = "Mallory [click me](http://evil.example) **URGENT**";

    public static AdaptiveCard Build()
    {
        var card = new AdaptiveCard()
            .WithFullWidth()
            .WithMention("29:1-alice", "Alice Example", out var aliceMention)
            .WithRefresh("refreshView", new { porId = "POR-1234" }, ["29:1-alice", "29:1-bob"])
            .WithFallbackText("POR-1234: Contoso renewal, awaiting approval")
            .AddHeading("POR-1234 · Contoso renewal")
            .Add(new TextBlock("Awaiting approval")
            {
                Id = "status",
                Size = TextSize.Medium,
                Weight = TextWeight.Lighter,
                Color = TextColor.Warning,
                IsSubtle = true,
                MaxLines = 2,
                HorizontalAlignment = HorizontalAlignment.Right,
                Spacing = Spacing.Small,
                Separator = true,
                IsVisible = true,
                Wrap = true,
            })
            .AddText($"Requested by {aliceMention}, **due Friday**.")
            .AddVerbatimText(UntrustedName, weight: TextWeight.Bolder)
            .AddText("Escaped: " + Markdown.Escape(UntrustedName), isSubtle: true)
            .AddFacts(("Customer", "Contoso Ltd"), ("Amount", "€ 12 500"), ("Owner", Markdown.Escape(UntrustedName)))
            .AddColumns(
                new Column(ColumnWidth.Auto).AddImage("https://example.com/alice.png", "Alice", ImageSize.Small, ImageStyle.Person),
                new Column(ColumnWidth.Stretch) { VerticalContentAlignment = VerticalContentAlignment.Center }
                    .AddText("Alice Example", weight: TextWeight.Bolder)
                    .AddText("Account manager", isSubtle: true, spacing: Spacing.None),
                new Column(ColumnWidth.Auto) { VerticalContentAlignment = VerticalContentAlignment.Center }
                    .AddText("due in 3 days", color: TextColor.Attention))
            .Add(new ColumnSet(
                new Column(ColumnWidth.Weight(2)).AddText("Spend", isSubtle: true).AddText("€ 12 500", TextSize.Large, spacing: Spacing.None),
                new Column(ColumnWidth.Weight(1)) { Style = ContainerStyle.Good }.AddText("Progress", isSubtle: true).AddText("62 %", TextSize.Large, spacing: Spacing.None),
                new Column(ColumnWidth.Pixels(80)) { Separator = true }.AddText("Stage", isSubtle: true).AddText("Q3", TextSize.Large, spacing: Spacing.None))
            {
                Spacing = Spacing.Medium,
            })
            .AddContainer(ContainerStyle.Emphasis, c =>
            {
                c.Bleed = true;
                c.SelectAction = new OpenUrlAction("Open in POR", "https://por.example.com/por/1234");
                c.AddText("Notes", weight: TextWeight.Bolder).AddVerbatimText("Customer asked for 3-year terms.");
            })
            .Add(new Image("https://example.com/chart.png") { AltText = "Spend chart", Size = ImageSize.Medium, HorizontalAlignment = HorizontalAlignment.Center })
            .AddInput(new TextInput("comment")
            {
                Label = "Comment",
                Placeholder = "Why approve or reject?",
                IsMultiline = true,
                MaxLength = 500,
                IsRequired = true,
                ErrorMessage = "A comment is required",
            })
            .AddInput(new ChoiceSetInput("priority", new Choice("Low", "low"), new Choice("Normal", "normal"), new Choice("High", "high"))
            {
                Label = "Priority",
                Value = "normal",
                Style = ChoiceInputStyle.Compact,
            })
            .AddActionSet(
                new ExecuteAction("Approve", "approve", new { porId = "POR-1234" }) { AssociatedInputs = AssociatedInputs.Auto }
                    .WithFallback(new SubmitAction("Approve", new { verb = "approve", porId = "POR-1234" })),
                new ExecuteAction("Reject", "reject", new { porId = "POR-1234" }) { Tooltip = "Reject with the comment above" }
                    .WithFallback(new SubmitAction("Reject", new { verb = "reject", porId = "POR-1234" })))
            .AddActions(
                new SubmitAction("Help", new { command = "help" }) { AssociatedInputs = AssociatedInputs.None },
                new OpenUrlAction("Open in POR", "https://por.example.com/por/1234"),
                new ShowCardAction("Reassign", new AdaptiveCard { Version = null, Schema = null }
                    .AddInput(new TextInput("assignee") { Label = "New owner", Placeholder = "name@contoso.com" })
                    .AddAction(new ExecuteAction("Reassign", "reassign", new { porId = "POR-1234" }))),
                new ExecuteAction("Snooze", "snooze") { Mode = ActionMode.Secondary, IsEnabled = true, Id = "snooze" });
        return card;
    }
}
