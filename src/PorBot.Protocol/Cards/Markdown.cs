using System.Text;

namespace PorBot.Protocol.Cards;

/// <summary>
/// Makes untrusted text safe to put in a <see cref="TextBlock"/> or <see cref="Fact"/>, whose text Teams reads
/// as markdown: a user name like <c>[click](https://evil)</c> would otherwise become a link, <c>**x**</c> bold,
/// a leading <c>- </c> or <c>1. </c> a list. Prefer <see cref="RichTextBlock"/>/<see cref="TextRun"/>
/// (no markdown at all, see <c>AddVerbatimText</c>) for free-form untrusted text; use this where the layout
/// needs a TextBlock or FactSet. Teams still auto-links bare URLs, which escaping cannot stop.
/// </summary>
public static class Markdown
{
    // Inline metacharacters: emphasis, links/images, escapes, HTML-ish tags (incl. <at> mentions).
    private const string AlwaysEscaped = "\\*_[]()<>`~";

    // Block markers, only meaningful as the first character of a line: headings, bullets.
    private const string LineStartEscaped = "#-+";

    private enum LinePhase { Indent, Digits, Other }

    /// <summary>Backslash-escapes every markdown metacharacter of the Adaptive Card subset (CommonMark escapes).</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Most names and ids need nothing escaped: the builder starts at the first character that does.
        StringBuilder? sb = null;
        var phase = LinePhase.Indent;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var escape = AlwaysEscaped.Contains(c, StringComparison.Ordinal)
                || (phase == LinePhase.Indent && LineStartEscaped.Contains(c, StringComparison.Ordinal))
                || (phase == LinePhase.Digits && c == '.') // "1. item" starts an ordered list
                || (c == '{' && i + 1 < text.Length && text[i + 1] == '{'); // {{DATE()}} functions in other hosts
            if (escape) (sb ??= new StringBuilder(text.Length + 8).Append(text, 0, i)).Append('\\');
            sb?.Append(c);

            phase = c switch
            {
                '\n' or '\r' => LinePhase.Indent,
                ' ' or '\t' when phase == LinePhase.Indent => LinePhase.Indent,
                _ when char.IsAsciiDigit(c) && phase != LinePhase.Other => LinePhase.Digits,
                _ => LinePhase.Other,
            };
        }
        return sb?.ToString() ?? text;
    }
}
