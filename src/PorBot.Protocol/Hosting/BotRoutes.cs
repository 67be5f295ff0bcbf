using PorBot.Protocol.Activities;

namespace PorBot.Protocol.Hosting;

/// <summary>
/// The route table built at start-up: which handler type serves which activity type, message
/// command, invoke name or Action.Execute verb. One handler per route; registering a route twice is a
/// start-up error.
/// </summary>
public sealed class BotRoutes
{
    private readonly Dictionary<string, Type> _activityHandlers = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Type> _invokeHandlers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Type> _cardActionHandlers = new(StringComparer.Ordinal);
    private readonly List<(string[] Words, bool TakesArgument, Type Handler)> _commands = [];
    private int _longestCommand;

    public Type? MessageFallback { get; private set; }

    public IReadOnlyCollection<string> Commands => _commands.Select(c => string.Join(' ', c.Words)).ToList();

    public IReadOnlyCollection<string> InvokeNames => _invokeHandlers.Keys;

    public IReadOnlyCollection<string> CardActionVerbs => _cardActionHandlers.Keys;

    internal void AddActivity(string activityType, Type handler) => AddUnique(_activityHandlers, activityType, handler, "activity type");

    internal void AddInvoke(string name, Type handler)
    {
        if (string.Equals(name, CardActionRequest.InvokeName, StringComparison.Ordinal) && _cardActionHandlers.Count > 0)
            throw new InvalidOperationException($"'{name}' is routed by verb (OnCardAction); a handler for the whole invoke would take every verb.");
        AddUnique(_invokeHandlers, name, handler, "invoke");
    }

    internal void AddCardAction(string verb, Type handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(verb);
        if (_invokeHandlers.ContainsKey(CardActionRequest.InvokeName))
            throw new InvalidOperationException($"'{CardActionRequest.InvokeName}' already has a handler for every verb; the verb '{verb}' cannot be routed as well.");
        AddUnique(_cardActionHandlers, verb, handler, "Action.Execute verb");
    }

    internal void AddCommand(string command, bool takesArgument, Type handler)
    {
        var words = SplitWords(command);
        if (words.Length == 0) throw new ArgumentException("A command needs at least one word.", nameof(command));
        if (_commands.Any(c => c.Words.SequenceEqual(words, StringComparer.OrdinalIgnoreCase)))
            throw new InvalidOperationException($"The command '{command}' is registered twice.");
        _commands.Add((words, takesArgument, handler));
        _longestCommand = Math.Max(_longestCommand, words.Length);
        // Longest command first, so "alerts status" wins over "alerts".
        _commands.Sort((a, b) => b.Words.Length.CompareTo(a.Words.Length));
    }

    internal void SetMessageFallback(Type handler)
    {
        if (MessageFallback is not null) throw new InvalidOperationException("A message fallback handler is registered twice.");
        MessageFallback = handler;
    }

    public Type? FindActivityHandler(string activityType) => _activityHandlers.GetValueOrDefault(activityType);

    public Type? FindInvokeHandler(string name) => _invokeHandlers.GetValueOrDefault(name);

    /// <summary>Verbs match exactly (case-sensitive), as the card wrote them.</summary>
    public Type? FindCardActionHandler(string verb) => _cardActionHandlers.GetValueOrDefault(verb);

    /// <summary>The command whose words start the text (case-insensitive), with the rest of the text as its argument.</summary>
    public (Type Handler, string Argument)? FindCommand(string text) =>
        Match(text) is var (handler, argumentStart) ? (handler, Argument(text.AsSpan(argumentStart))) : null;

    /// <summary>Whether a command takes this text, without building its argument.</summary>
    public bool IsCommand(string text) => Match(text) is not null;

    // Every message turn asks up to three times (two middlewares and the dispatch), so the text is scanned in
    // place rather than split into strings.
    private (Type Handler, int ArgumentStart)? Match(string text)
    {
        Span<Range> words = stackalloc Range[_longestCommand];
        var count = 0;
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i == text.Length) break;
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i])) i++;
            if (count < words.Length) words[count] = start..i;
            count++;
        }

        foreach (var (commandWords, takesArgument, handler) in _commands)
        {
            // A command without argument matches only on its own, so "help me with Azure" stays a question.
            if (takesArgument ? count < commandWords.Length : count != commandWords.Length) continue;
            if (!StartsWith(text, words, commandWords)) continue;
            return (handler, words[commandWords.Length - 1].End.Value);
        }

        return null;
    }

    private static bool StartsWith(string text, ReadOnlySpan<Range> words, string[] commandWords)
    {
        for (var i = 0; i < commandWords.Length; i++)
        {
            if (!text.AsSpan(words[i]).Equals(commandWords[i], StringComparison.OrdinalIgnoreCase)) return false;
        }

        return true;
    }

    /// <summary>The words after the command, one space between each.</summary>
    private static string Argument(ReadOnlySpan<char> rest)
    {
        rest = rest.Trim();
        for (var i = 0; i < rest.Length; i++)
        {
            if (char.IsWhiteSpace(rest[i]) && (rest[i] != ' ' || rest[i - 1] == ' '))
            {
                return string.Join(' ', SplitWords(rest.ToString()));
            }
        }

        return rest.ToString();
    }

    private static string[] SplitWords(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void AddUnique(Dictionary<string, Type> table, string key, Type handler, string kind)
    {
        if (!table.TryAdd(key, handler))
            throw new InvalidOperationException($"Two handlers for {kind} '{key}': {table[key].Name} and {handler.Name}.");
    }
}
