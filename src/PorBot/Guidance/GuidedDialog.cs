using System.Globalization;
using PorBot.Protocol.Cards;

namespace PorBot.Guidance;

/// <summary>What a dialog turn does to the stored state.</summary>
public enum GuideStateChange
{
    None,
    Save,
    Delete,
}

/// <summary>The decision for one turn: the state change and what to send (a card, or a text).</summary>
public sealed record GuideOutcome(GuideStateChange Change, GuideState? State, AdaptiveCard? Card, string? Text = null);

/// <summary>A dialog control word typed on its own.</summary>
public enum GuideControl
{
    Cancel,
    Back,
    Restart,
}

/// <summary>
/// The guided dialog's rules, without I/O: given the stored state (or none) and what the user did, the
/// next state and the reply. Two questions (what was sold, how it was bought), then the scenario.
/// </summary>
public sealed class GuidedDialog(KnowledgeBase knowledge, QuestionMatcher matcher, GuidanceCards cards)
{
    public const string CancelledText = "OK, I've stopped the guide. Type **por guide** to start again, or just ask me a Partner of Record question.";

    private static readonly Dictionary<string, GuideControl> Controls = new(StringComparer.Ordinal)
    {
        ["cancel"] = GuideControl.Cancel,
        ["stop"] = GuideControl.Cancel,
        ["quit"] = GuideControl.Cancel,
        ["exit"] = GuideControl.Cancel,
        ["never mind"] = GuideControl.Cancel,
        ["nevermind"] = GuideControl.Cancel,
        ["back"] = GuideControl.Back,
        ["go back"] = GuideControl.Back,
        ["previous"] = GuideControl.Back,
        ["undo"] = GuideControl.Back,
        ["start over"] = GuideControl.Restart,
        ["start again"] = GuideControl.Restart,
        ["restart"] = GuideControl.Restart,
        ["reset"] = GuideControl.Restart,
        ["begin again"] = GuideControl.Restart,
    };

    /// <summary>"cancel", "Go back!", "start over" on their own; null for anything else.</summary>
    public static GuideControl? ParseControl(string text)
    {
        var words = string.Join(' ', text.ToLowerInvariant()
            .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w.Trim('.', '!', '?', ',', '"', '\''))
            .Where(w => w.Length > 0 && w is not "please" and not "pls"));
        return Controls.TryGetValue(words, out var control) ? control : null;
    }

    /// <summary>A new guide, skipping the questions the starting text already answers ("por guide azure EA").</summary>
    public GuideOutcome Start(string? text)
    {
        var mention = string.IsNullOrWhiteSpace(text) ? new OfferingMention([], []) : matcher.RecognizeOfferings(text);
        return Show(GuideState.Start(Single(mention.Products), Single(mention.Programs)), note: null);
    }

    /// <summary>A free-text question that names a product and a program: show that combination as a finished guide.</summary>
    public GuideOutcome StartWith(string product, string program) => Show(GuideState.Start(product, program), note: null);

    public GuideOutcome Control(GuideState? state, GuideControl control)
    {
        if (control == GuideControl.Restart) return Start(null);
        if (state is null) return new GuideOutcome(GuideStateChange.None, null, cards.NoGuideRunning());
        if (control == GuideControl.Cancel) return new GuideOutcome(GuideStateChange.Delete, null, null, CancelledText);

        // Back undoes the last answer: the program if there is one, else the product.
        return state switch
        {
            { Product: not null, Program: not null } => Show(state.Next(state.Product, null), null),
            { Product: not null } => Show(state.Next(null, null), null),
            _ => Show(state, "This is the first question; there is nothing to go back to."),
        };
    }

    /// <summary>A guide button was clicked. Buttons from another guide or an earlier step are not acted on.</summary>
    public GuideOutcome Click(GuideState? state, GuideClick click)
    {
        ArgumentNullException.ThrowIfNull(click);
        if (click.Action == GuideClick.StartNew) return Start(null);
        if (state is null || !string.Equals(state.DialogId, click.DialogId, StringComparison.Ordinal))
        {
            return state is null
                ? new GuideOutcome(GuideStateChange.None, null, cards.GuideEnded())
                : Show(state, "That button is from another guide (an earlier one, or someone else's), so I didn't act on it. Here is where your guide is now:", save: false);
        }
        if (click.Step != state.Step)
            return Show(state, "That button is from an earlier step, so I didn't act on it. Here is where your guide is now:", save: false);

        return click.Action switch
        {
            GuideClick.Back => Control(state, GuideControl.Back),
            GuideClick.Restart => Control(state, GuideControl.Restart),
            GuideClick.Cancel => Control(state, GuideControl.Cancel),
            GuideClick.ChooseProduct when IsProduct(click.Value) => Show(state.Next(click.Value, state.Program), null),
            GuideClick.ChooseProgram when state.Product is not null && IsProgram(click.Value) => Show(state.Next(state.Product, click.Value), null),
            _ => Show(state, "I couldn't read that choice. Here is where your guide is now:", save: false),
        };
    }

    /// <summary>
    /// A typed answer while the guide waits for one ("azure", "it was EA", "2"). Null when the text answers
    /// nothing the guide asked, so it can be treated as a question instead.
    /// </summary>
    public GuideOutcome? Typed(GuideState state, string text)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state is { Product: not null, Program: not null }) return null; // finished: new text is a new question

        if (ChoiceByNumber(state, text) is { } chosen) return chosen;

        var mention = matcher.RecognizeOfferings(text);
        if (mention.Products.Count > 1)
            return Show(state, "That names more than one product; pick the one this is about.", save: false);
        if (mention.Programs.Count > 1)
            return Show(state, "That names more than one way of buying; pick the one the customer used.", save: false);
        if (mention.Products.Count == 0 && mention.Programs.Count == 0) return null;

        var product = Single(mention.Products) ?? state.Product;
        var program = Single(mention.Programs) ?? state.Program;
        // "EA" typed before the product is kept for step 2; say so, or it looks ignored.
        var note = product is null && program is not null ? $"Noted: {cards.ProgramName(program)}." : null;
        return Show(state.Next(product, program), note);
    }

    /// <summary>The reply when a typed answer was not understood and is not a question either.</summary>
    public GuideOutcome NotAnAnswer(GuideState state) =>
        Show(state, state.Product is null
            ? "I didn't recognise a product in that. Pick one below or type its name."
            : "I didn't recognise a way of buying in that. Pick one below or type it.", save: false);

    /// <summary>The card for the state as it is (e.g. after a restart of the bot, or a lost race).</summary>
    public GuideOutcome Current(GuideState state, string note) => Show(state, note, save: false);

    private GuideOutcome Show(GuideState state, string? note, bool save = true)
    {
        var change = save ? GuideStateChange.Save : GuideStateChange.None;
        if (state.Product is null) return new GuideOutcome(change, state, cards.AskProduct(state, note));
        if (state.Program is null) return new GuideOutcome(change, state, cards.AskProgram(state, note));
        if (knowledge.FindScenario(state.Product, state.Program) is { } scenario)
            return new GuideOutcome(change, state, cards.Scenario(scenario, state, note));

        // No scenario for the pair: stay on step 2 for this product and say so.
        var onStepTwo = save ? state with { Program = null } : state.Next(state.Product, null);
        return new GuideOutcome(GuideStateChange.Save, onStepTwo, cards.NoScenario(onStepTwo, state.Program));
    }

    private GuideOutcome? ChoiceByNumber(GuideState state, string text)
    {
        if (!int.TryParse(text.Trim().TrimEnd('.', ')'), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1) return null;
        if (state.Product is null)
            return n <= knowledge.Products.Count ? Show(state.Next(knowledge.Products[n - 1].Id, state.Program), null) : null;
        var programs = cards.ProgramsFor(state.Product);
        return n <= programs.Count ? Show(state.Next(state.Product, programs[n - 1].Id), null) : null;
    }

    private bool IsProduct(string? id) => id is not null && knowledge.Products.Any(p => p.Id == id);

    private bool IsProgram(string? id) => id is not null && knowledge.Programs.Any(p => p.Id == id);

    private static string? Single(IReadOnlyList<string> ids) => ids.Count == 1 ? ids[0] : null;
}
