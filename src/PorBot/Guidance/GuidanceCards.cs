using System.Globalization;
using PorBot.Protocol.Cards;

namespace PorBot.Guidance;

/// <summary>
/// The cards of POR guidance. Facts come only from the knowledge base; the cards add layout, labels and
/// the dialog's own wording (questions, "no scenario" notices). Laid out for a phone-width Teams card:
/// one column, buttons one per row so long titles are not cut.
/// </summary>
public sealed class GuidanceCards(KnowledgeBase knowledge)
{
    private const string GuideTitle = "POR guide";
    public const string NeitherTitle = "Neither of these: show what you can help with";

    public AdaptiveCard Entry(KnowledgeEntry entry) => entry switch
    {
        Scenario s => Scenario(s),
        _ => Topic(entry),
    };

    /// <summary>A scenario; with <paramref name="state"/> it is the end of a guided dialog and offers back / start over.</summary>
    public AdaptiveCard Scenario(Scenario scenario, GuideState? state = null, string? note = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var card = new AdaptiveCard();
        if (state is { Product: { } product, Program: { } program })
            card.AddText($"{GuideTitle}: {ProductName(product)} · {ProgramName(program)}", TextSize.Small, isSubtle: true);
        if (note is not null) card.AddText(note, color: TextColor.Accent, spacing: Spacing.Small);
        card.AddHeading(scenario.Title, TextSize.Medium)
            .AddText(scenario.ShortAnswer)
            // Label-and-value lines rather than a FactSet: its title column squeezes the values on a phone.
            .AddText($"**Who acts:** {scenario.SetByText}")
            .AddText($"**Guide:** {scenario.Guide}", spacing: Spacing.Small);

        Section(card, "Steps");
        card.AddText(NumberedList(scenario.Steps), spacing: Spacing.Small);

        Section(card, "Where");
        card.AddText($"**In 2015:** {scenario.Where.Then}", spacing: Spacing.Small)
            .AddText($"**Today:** {scenario.Where.Today}", spacing: Spacing.Small);

        Section(card, "What it affects");
        card.AddText(BulletList(scenario.Impacts), spacing: Spacing.Small);
        if (scenario.ImpactsNote is { } impactsNote) card.AddText(impactsNote, TextSize.Small, isSubtle: true, spacing: Spacing.Small);

        if (scenario.Caveats.Count > 0)
        {
            card.AddContainer(ContainerStyle.Warning, c => c
                .AddText("Keep in mind", weight: TextWeight.Bolder)
                .AddText(BulletList(scenario.Caveats), spacing: Spacing.Small));
        }

        AddNextQuestions(card, scenario);
        if (state is not null) AddNavigation(card, state, canGoBack: true);
        return card.WithFallbackText(scenario.ShortAnswer);
    }

    public AdaptiveCard Topic(KnowledgeEntry topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var card = new AdaptiveCard()
            .AddHeading(topic.Title, TextSize.Medium)
            .AddText(topic.ShortAnswer);
        if (topic.Details is { } details) card.AddText(details, TextSize.Small, isSubtle: true);
        AddNextQuestions(card, topic);
        return card.WithFallbackText(topic.ShortAnswer);
    }

    /// <summary>Two entries fit the question about equally well: ask which one.</summary>
    public AdaptiveCard Clarify(KnowledgeEntry best, KnowledgeEntry runnerUp)
    {
        var card = new AdaptiveCard()
            .AddText("Did you mean…", TextSize.Medium, TextWeight.Bolder)
            .AddText("Your question could be about either of these. Pick one:", spacing: Spacing.Small);
        foreach (var entry in new[] { best, runnerUp }) card.Add(TopicButton(entry));
        card.Add(ChoiceRow(SubmitAction.ImBack(NeitherTitle, "help")));
        return card.WithFallbackText($"Did you mean: {best.Title}, or {runnerUp.Title}?");
    }

    /// <summary>Step 1: what was sold.</summary>
    public AdaptiveCard AskProduct(GuideState state, string? note = null)
    {
        var card = DialogCard(state, note, "Step 1 of 2", "What did the customer buy?");
        foreach (var product in knowledge.Products)
            card.Add(ChoiceRow(Click(product.Name, state, GuideClick.ChooseProduct, product.Id)));
        card.AddText("Or type it, for example **Azure** or **O365**. Type **cancel** to stop.", TextSize.Small, isSubtle: true);
        AddNavigation(card, state, canGoBack: false);
        return card.WithFallbackText("POR guide, step 1 of 2: what did the customer buy?");
    }

    /// <summary>Step 2: how it was bought, offering only the programs the knowledge base has a scenario for.</summary>
    public AdaptiveCard AskProgram(GuideState state, string? note = null)
    {
        var product = state.Product ?? throw new ArgumentException("The product is not chosen yet.", nameof(state));
        var card = DialogCard(state, note, "Step 2 of 2", $"How did the customer buy **{ProductName(product)}**?");
        AddProgramButtons(card, state, product);
        card.AddText("Or type it, for example **EA** or **Open**. You can also type **back**, **start over** or **cancel**.",
            TextSize.Small, isSubtle: true);
        AddNavigation(card, state, canGoBack: true);
        return card.WithFallbackText($"POR guide, step 2 of 2: how did the customer buy {ProductName(product)}?");
    }

    /// <summary>The chosen product × program has no scenario in the knowledge base: say so, offer what it has.</summary>
    public AdaptiveCard NoScenario(GuideState state, string program)
    {
        var product = state.Product ?? throw new ArgumentException("The product is not chosen yet.", nameof(state));
        var card = DialogCard(state, null, "Step 2 of 2", "No scenario for that combination")
            .AddText($"The POR guidance I have has no scenario for **{ProductName(product)}** bought through **{ProgramName(program)}**, " +
                     "so I can't tell you how Partner of Record works for it.", spacing: Spacing.Small)
            .AddText($"For {ProductName(product)} it covers these ways of buying:", weight: TextWeight.Bolder, spacing: Spacing.Medium);
        AddProgramButtons(card, state, product);
        AddNavigation(card, state, canGoBack: true);
        return card.WithFallbackText($"No POR scenario for {ProductName(product)} bought through {ProgramName(program)}.");
    }

    /// <summary>A guide button whose guide ended or belongs to someone else: offer a guide of one's own.</summary>
    public AdaptiveCard GuideEnded()
    {
        var card = new AdaptiveCard()
            .AddText("That button belongs to a guide that has ended or that someone else started, so I didn't act on it.")
            .AddActionSet(new SubmitAction("Start my own POR guide", Submit(new GuideClick(null, 0, GuideClick.StartNew))));
        return card.WithFallbackText("That guide has ended. Type por guide to start a new one.");
    }

    /// <summary>cancel/back typed with no guide running.</summary>
    public AdaptiveCard NoGuideRunning()
    {
        var card = new AdaptiveCard()
            .AddText("There is no POR guide running right now. Start one, or just ask me a Partner of Record question.")
            .AddActionSet(new SubmitAction("Start the POR guide", Submit(new GuideClick(null, 0, GuideClick.StartNew))));
        return card.WithFallbackText("There is no POR guide running. Type por guide to start one.");
    }

    /// <summary>Programs that have a scenario for the product, in knowledge-base order.</summary>
    public IReadOnlyList<Offering> ProgramsFor(string product) =>
        knowledge.Programs.Where(p => knowledge.FindScenario(product, p.Id) is not null).ToList();

    public string ProductName(string id) => knowledge.Products.FirstOrDefault(p => p.Id == id)?.Name ?? id;

    public string ProgramName(string id) => knowledge.Programs.FirstOrDefault(p => p.Id == id)?.Name ?? id;

    private static AdaptiveCard DialogCard(GuideState state, string? note, string stepLabel, string question)
    {
        var card = new AdaptiveCard().AddText($"{GuideTitle} · {stepLabel}", TextSize.Small, isSubtle: true);
        if (note is not null) card.AddText(note, color: TextColor.Accent, spacing: Spacing.Small);
        return card.AddText(question, TextSize.Medium, TextWeight.Bolder, spacing: Spacing.Small);
    }

    private void AddProgramButtons(AdaptiveCard card, GuideState state, string product)
    {
        foreach (var program in ProgramsFor(product))
            card.Add(ChoiceRow(Click(program.Name, state, GuideClick.ChooseProgram, program.Id)));
    }

    private void AddNextQuestions(AdaptiveCard card, KnowledgeEntry entry)
    {
        var next = entry.Next.Select(knowledge.Find).OfType<KnowledgeEntry>().ToList();
        if (next.Count == 0) return;
        Section(card, "Next questions");
        foreach (var topic in next) card.Add(TopicButton(topic));
    }

    private static void AddNavigation(AdaptiveCard card, GuideState state, bool canGoBack)
    {
        if (canGoBack) card.AddAction(Click("Back", state, GuideClick.Back));
        card.AddAction(Click("Start over", state, GuideClick.Restart));
        card.AddAction(Click("Cancel", state, GuideClick.Cancel));
    }

    private static void Section(AdaptiveCard card, string title) =>
        card.Add(new TextBlock(title) { Weight = TextWeight.Bolder, Wrap = true, Spacing = Spacing.Medium, Separator = true });

    private static Container TopicButton(KnowledgeEntry entry) => ChoiceRow(new SubmitAction(entry.Title, new GuidanceSubmit { PorTopic = entry.Id }));

    /// <summary>
    /// A tappable row that wraps its title: Teams cuts button titles at one line, which on a phone loses
    /// most of "Campus and School Agreement (CASA/EES)" or a topic title.
    /// </summary>
    private static Container ChoiceRow(SubmitAction action) =>
        new(ContainerStyle.Emphasis, new TextBlock(action.Title ?? "") { Color = TextColor.Accent, Weight = TextWeight.Bolder, Wrap = true })
        {
            SelectAction = action,
            Spacing = Spacing.Small,
        };

    private static SubmitAction Click(string title, GuideState state, string action, string? value = null) =>
        new(title, Submit(new GuideClick(state.DialogId, state.Step, action, value)));

    private static GuidanceSubmit Submit(GuideClick click) => new() { PorGuide = click };

    private static string NumberedList(IEnumerable<string> items) =>
        string.Join("\n", items.Select((item, i) => (i + 1).ToString(CultureInfo.InvariantCulture) + ". " + item));

    private static string BulletList(IEnumerable<string> items) => string.Join("\n", items.Select(item => "- " + item));
}
