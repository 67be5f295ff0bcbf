using PorBot.Testing;

namespace PorBot.Protocol.Tests.Cards;

public class CardRenderTests
{
    [Fact]
    public async Task KitchenSink_RendersToPngInHeadlessChromium()
    {
        // Left in the test output folder (not committed) for a human look.
        var outPath = Path.Combine(AppContext.BaseDirectory, "cards", "kitchen-sink.png");
        if (File.Exists(outPath)) File.Delete(outPath);

        var png = await CardRenderer.RenderPngAsync(KitchenSinkCard.Build(), outPath, width: 520);

        Assert.True(File.Exists(png.Path));
        Assert.Equal(520, png.Width);
        // A card with ~15 elements and 4 action buttons cannot fit in less; a failed render is ~160px of nothing.
        Assert.InRange(png.Height, 700, 4000);
    }
}
