using PorBot.Protocol.Activities;

namespace PorBot.Protocol.Hosting;

/// <summary>
/// The route table built at start-up: which handler type serves which activity type, message
/// command or invoke name. One handler per route; registering a route twice is a start-up error.
/// </summary>
public sealed class BotRoutes
{
    private readonly Dictionary<string, Type> _activityHandlers = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Type> _invokeHandlers = new(StringComparer.Ordinal);
    private readonly List<(string[] Words, bool TakesArgument, Type Handler)> _commands = [];

    public Type? MessageFallback { get; private set; }

    public IReadOnlyCollection<string> Commands => _commands.Select(c => string.Join(' ', c.Words)).ToList();

    public IReadOnlyCollection<string> InvokeNames => _invokeHandlers.Keys;

    internal void AddActivity(string activityType, Type handler) => AddUnique(_activityHandlers, activityType, handler, "activity type");

    internal void AddInvoke(string name, Type handler) => AddUnique(_invokeHandlers, name, handler, "invoke");

    internal void AddCommand(string command, bool takesArgument, Type handler)
    {
        var words = SplitWords(command);
        if (words.Length == 0) throw new ArgumentException("A command needs at least one word.", nameof(command));
        if (_commands.Any(c => c.Words.SequenceEqual(words, StringComparer.OrdinalIgnoreCase)))
            throw new InvalidOperationException($"The command '{command}' is registered twice.");
        _commands.Add((words, takesArgument, handler));
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

    /// <summary>The command whose words start the text (case-insensitive), with the rest of the text as its argument.</summary>
    public (Type Handler, string Argument)? FindCommand(string text)
    {
        var words = SplitWords(text);
        foreach (var (commandWords, takesArgument, handler) in _commands)
        {
            // A command without argument matches only on its own, so "help me with Azure" stays a question.
            if (takesArgument ? words.Length < commandWords.Length : words.Length != commandWords.Length) continue;
            if (!commandWords.Select((w, i) => string.Equals(w, words[i], StringComparison.OrdinalIgnoreCase)).All(x => x)) continue;
            return (handler, string.Join(' ', words.Skip(commandWords.Length)));
        }

        return null;
    }

    private static string[] SplitWords(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void AddUnique(Dictionary<string, Type> table, string key, Type handler, string kind)
    {
        if (!table.TryAdd(key, handler))
            throw new InvalidOperationException($"Two handlers for {kind} '{key}': {table[key].Name} and {handler.Name}.");
    }
}
