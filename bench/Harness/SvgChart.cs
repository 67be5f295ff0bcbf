using System.Globalization;
using System.Security;
using System.Text;

namespace PorBot.Bench.Harness;

/// <summary>One row block of a bar chart: a label and one bar per series, each with an optional min–max whisker.</summary>
internal sealed record BarGroup(string Label, double[] Values, double[]? Min = null, double[]? Max = null);

internal sealed record LineSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>
/// Small self-contained SVG charts for the report (no dependency, readable on GitHub and in a browser):
/// horizontal bars with min–max whiskers, and lines over time.
/// </summary>
internal static class SvgChart
{
    private static readonly string[] Palette = ["#2f6fb3", "#e07b39", "#3a9a5b", "#b8443c", "#7d5ba6", "#8c6d3f"];
    private const int Width = 820;
    private const int RowHeight = 18;

    public static string Bars(string title, string unit, IReadOnlyList<string> series, IReadOnlyList<BarGroup> groups)
    {
        var labelWidth = Math.Clamp(groups.Max(g => g.Label.Length) * 7 + 16, 90, 320);
        var plotLeft = labelWidth;
        var plotWidth = Width - plotLeft - 110;
        var legend = series.Count > 1 ? 22 : 0;
        var top = 40 + legend;
        var groupHeight = series.Count * RowHeight + 10;
        var height = top + groups.Count * groupHeight + 36;

        var maximum = groups.SelectMany(g => g.Values.Concat(g.Max ?? [])).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        var (axisMax, step) = NiceAxis(0, maximum);
        double X(double value) => plotLeft + Math.Max(0, value) / axisMax * plotWidth;

        var svg = Start(height, title);
        if (series.Count > 1)
        {
            var x = plotLeft;
            for (var s = 0; s < series.Count; s++)
            {
                svg.Append(Inv($"<rect x=\"{x}\" y=\"36\" width=\"12\" height=\"12\" fill=\"{Palette[s % Palette.Length]}\"/>"));
                svg.Append(Inv($"<text x=\"{x + 16}\" y=\"46\">{Escape(series[s])}</text>"));
                x += 30 + series[s].Length * 7;
            }
        }

        var bottom = top + groups.Count * groupHeight;
        for (var tick = 0.0; tick <= axisMax + step / 2; tick += step)
        {
            svg.Append(Inv($"<line x1=\"{X(tick):F1}\" y1=\"{top - 4}\" x2=\"{X(tick):F1}\" y2=\"{bottom}\" stroke=\"#e3e3e3\"/>"));
            svg.Append(Inv($"<text x=\"{X(tick):F1}\" y=\"{bottom + 14}\" text-anchor=\"middle\" fill=\"#555\">{Number(tick)}</text>"));
        }
        svg.Append(Inv($"<text x=\"{plotLeft + plotWidth / 2}\" y=\"{bottom + 30}\" text-anchor=\"middle\" fill=\"#555\">{Escape(unit)}</text>"));

        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            var y0 = top + g * groupHeight;
            svg.Append(Inv($"<text x=\"{plotLeft - 8}\" y=\"{y0 + series.Count * RowHeight / 2.0 + 4:F1}\" text-anchor=\"end\">{Escape(group.Label)}</text>"));
            for (var s = 0; s < group.Values.Length; s++)
            {
                var value = group.Values[s];
                if (!double.IsFinite(value)) continue;
                var y = y0 + s * RowHeight;
                svg.Append(Inv($"<rect x=\"{plotLeft}\" y=\"{y + 2}\" width=\"{X(value) - plotLeft:F1}\" height=\"{RowHeight - 5}\" fill=\"{Palette[s % Palette.Length]}\"/>"));
                var end = X(value);
                if (group.Min is { } min && group.Max is { } max && double.IsFinite(min[s]) && double.IsFinite(max[s]) && max[s] > min[s])
                {
                    var mid = y + RowHeight / 2.0;
                    svg.Append(Inv($"<path d=\"M{X(min[s]):F1} {mid:F1}H{X(max[s]):F1}M{X(min[s]):F1} {mid - 4:F1}v8M{X(max[s]):F1} {mid - 4:F1}v8\" stroke=\"#222\" fill=\"none\"/>"));
                    end = Math.Max(end, X(max[s]));
                }
                svg.Append(Inv($"<text x=\"{end + 5:F1}\" y=\"{y + RowHeight - 5}\" fill=\"#222\">{Number(value)}</text>"));
            }
        }

        return svg.Append("</svg>\n").ToString();
    }

    public static string Lines(string title, string xUnit, string yUnit, IReadOnlyList<LineSeries> lines, IReadOnlyList<(double X, string Label)>? markers = null)
    {
        const int height = 340, left = 70, right = 20, top = 50, bottom = 50;
        var points = lines.SelectMany(l => l.Points).ToList();
        var (xMax, xStep) = NiceAxis(0, points.Count == 0 ? 1 : points.Max(p => p.X));
        var (yMax, yStep) = NiceAxis(0, points.Count == 0 ? 1 : points.Max(p => p.Y));
        var plotWidth = Width - left - right;
        var plotHeight = height - top - bottom;
        double X(double x) => left + x / xMax * plotWidth;
        double Y(double y) => top + plotHeight - y / yMax * plotHeight;

        var svg = Start(height, title);
        for (var t = 0.0; t <= yMax + yStep / 2; t += yStep)
        {
            svg.Append(Inv($"<line x1=\"{left}\" y1=\"{Y(t):F1}\" x2=\"{left + plotWidth}\" y2=\"{Y(t):F1}\" stroke=\"#e3e3e3\"/>"));
            svg.Append(Inv($"<text x=\"{left - 6}\" y=\"{Y(t) + 4:F1}\" text-anchor=\"end\" fill=\"#555\">{Number(t)}</text>"));
        }
        for (var t = 0.0; t <= xMax + xStep / 2; t += xStep)
        {
            svg.Append(Inv($"<text x=\"{X(t):F1}\" y=\"{top + plotHeight + 16}\" text-anchor=\"middle\" fill=\"#555\">{Number(t)}</text>"));
        }
        svg.Append(Inv($"<text x=\"{left + plotWidth / 2}\" y=\"{height - 12}\" text-anchor=\"middle\" fill=\"#555\">{Escape(xUnit)}</text>"));
        svg.Append(Inv($"<text transform=\"translate(16 {top + plotHeight / 2}) rotate(-90)\" text-anchor=\"middle\" fill=\"#555\">{Escape(yUnit)}</text>"));
        foreach (var (x, label) in markers ?? [])
        {
            svg.Append(Inv($"<line x1=\"{X(x):F1}\" y1=\"{top}\" x2=\"{X(x):F1}\" y2=\"{top + plotHeight}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>"));
            svg.Append(Inv($"<text x=\"{X(x) + 4:F1}\" y=\"{top + 12}\" fill=\"#555\">{Escape(label)}</text>"));
        }
        for (var i = 0; i < lines.Count; i++)
        {
            var colour = Palette[i % Palette.Length];
            var path = string.Join(' ', lines[i].Points.Select(p => Inv($"{X(p.X):F1},{Y(p.Y):F1}")));
            svg.Append(Inv($"<polyline points=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>"));
            svg.Append(Inv($"<text x=\"{left + 8 + i * 180}\" y=\"{top - 8}\" fill=\"{colour}\">{Escape(lines[i].Name)}</text>"));
        }

        return svg.Append("</svg>\n").ToString();
    }

    private static StringBuilder Start(int height, string title) => new StringBuilder()
        .Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"12\">"))
        .Append(Inv($"<rect width=\"{Width}\" height=\"{height}\" fill=\"#fff\"/>"))
        .Append(Inv($"<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{Escape(title)}</text>"));

    /// <summary>An axis from <paramref name="min"/> to a round maximum with 1-2-5 steps (about 5 ticks).</summary>
    private static (double Max, double Step) NiceAxis(double min, double max)
    {
        var span = Math.Max(max - min, 1e-9);
        var raw = span / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.Select(f => f * magnitude).First(s => s >= raw);
        return (Math.Ceiling(max / step) * step, step);
    }

    private static string Number(double value) => value switch
    {
        >= 100 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.#", CultureInfo.InvariantCulture),
        >= 1 => value.ToString("0.##", CultureInfo.InvariantCulture),
        _ => value.ToString("0.###", CultureInfo.InvariantCulture),
    };

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
