using System.Text.Json;
using PorBot.Conversations;
using PorBot.Protocol.Activities;

namespace PorBot.Guidance;

/// <summary>
/// One user's place in the guided POR dialog, stored as JSON through <see cref="IDialogStateStore"/>.
/// <see cref="DialogId"/> changes on every (re)start and <see cref="Step"/> on every change, so a card
/// button can tell whether it was offered for the state it is clicked in.
/// </summary>
public sealed record GuideState(string DialogId, int Step, string? Product, string? Program)
{
    /// <summary>Marks the stored JSON as this dialog's, since the store has one slot per user and conversation.</summary>
    public const string DialogKind = "por-guide";

    public string Kind { get; init; } = DialogKind;

    public static GuideState Start(string? product = null, string? program = null) =>
        new(Guid.NewGuid().ToString("N")[..12], 1, product, program);

    /// <summary>The next state after a change: same dialog, next step.</summary>
    public GuideState Next(string? product, string? program) => this with { Step = Step + 1, Product = product, Program = program };

    public JsonElement ToJson() => ProtocolJson.ToElement(this);

    /// <summary>The stored guide state, or null when there is none, it is another dialog's, or it cannot be read.</summary>
    public static GuideState? From(VersionedDialogState? stored)
    {
        if (stored is null) return null;
        try
        {
            var state = stored.State.Deserialize<GuideState>(ProtocolJson.Options);
            return state is { Kind: DialogKind, DialogId.Length: > 0 } ? state : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>What the buttons on guidance cards post back (Action.Submit data); untrusted, anyone in a chat can click.</summary>
public sealed record GuidanceSubmit
{
    public GuideClick? PorGuide { get; init; }

    /// <summary>A knowledge entry id: "show me this topic".</summary>
    public string? PorTopic { get; init; }
}

/// <summary>A guide button: the choice, and the dialog and step it was offered at (stale clicks are detected by these).</summary>
public sealed record GuideClick(string? DialogId, int Step, string Action, string? Value = null)
{
    public const string ChooseProduct = "product";
    public const string ChooseProgram = "program";
    public const string Back = "back";
    public const string Restart = "restart";
    public const string Cancel = "cancel";

    /// <summary>Starts a new guide whatever state the clicker is in (no dialog id needed).</summary>
    public const string StartNew = "start";
}
