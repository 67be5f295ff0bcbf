namespace PorBot.Welcome;

/// <summary>
/// One thing PorBot can do, as the welcome and help cards list it. Each feature registers its own
/// entries where it is wired, so the cards never promise something that is not there.
/// </summary>
/// <param name="Title">Short name of the capability.</param>
/// <param name="Description">One sentence for partner staff.</param>
/// <param name="Examples">What to type; each becomes a button that sends it.</param>
public sealed record HelpEntry(string Title, string Description, IReadOnlyList<string> Examples, int Order = 100);
