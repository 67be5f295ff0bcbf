using PorBot.Lookups;
using PorBot.Tests.Guidance;

namespace PorBot.Tests.Lookups;

public sealed class LookupIntentRecognizerTests
{
    [Theory]
    [InlineData("who is the partner of record for contoso.com?", "contoso.com")]
    [InlineData("Who's POR on adventure-works.com", "adventure-works.com")]
    [InlineData("adventure-works.com", "adventure-works.com")]
    [InlineData("check POR for https://www.Woodgrovebank.com/about", "www.woodgrovebank.com")]
    [InlineData("who is POR for megan@litware.com?", "litware.com")]
    [InlineData("who is POR for subscription 8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c11", "8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c11")]
    [InlineData("8A9B0C1D-2E3F-4A5B-8C6D-7E8F9A0B1C11", "8A9B0C1D-2E3F-4A5B-8C6D-7E8F9A0B1C11")]
    [InlineData("is a partner listed for tenant c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a21?", "c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a21")]
    public void Recognize_IdOrDomainWithTrigger_IsACustomerLookup(string text, string argument)
    {
        var intent = LookupIntentRecognizer.Recognize(text);

        Assert.NotNull(intent);
        Assert.Equal(LookupIntentKind.Customer, intent.Kind);
        Assert.Equal(argument, intent.Argument);
        Assert.False(intent.OnlyIfFound);
    }

    [Theory]
    [InlineData("whose mpn id is 4412345", "4412345")]
    [InlineData("Whose MPN ID is #4412345?", "4412345")]
    [InlineData("is 5523456 a valid partner id?", "5523456")]
    [InlineData("who has partner ID 6634567", "6634567")]
    [InlineData("which partner is 4412345", "4412345")]
    [InlineData("4412345", "4412345")]
    [InlineData("MPN 4412345", "4412345")]
    [InlineData("mpn id 1234", "1234")] // wrong length still gets a format answer
    public void Recognize_PartnerIdPhrasing_IsAPartnerIdCheck(string text, string argument)
    {
        var intent = LookupIntentRecognizer.Recognize(text);

        Assert.NotNull(intent);
        Assert.Equal(LookupIntentKind.PartnerId, intent.Kind);
        Assert.Equal(argument, intent.Argument);
    }

    [Theory]
    [InlineData("who is the partner of record for Adventure Works?", "Adventure Works")]
    [InlineData("Who's the POR of customer Woodgrove Bank", "Woodgrove Bank")]
    [InlineData("which partner is listed for Litware Inc's subscriptions?", "Litware Inc")]
    [InlineData("POR for Tailspin Toys", "Tailspin Toys")]
    [InlineData("does Wide World Importers have a partner of record?", "Wide World Importers")]
    public void Recognize_NamePhrasing_IsACustomerLookupOnlyIfFound(string text, string name)
    {
        var intent = LookupIntentRecognizer.Recognize(text);

        Assert.NotNull(intent);
        Assert.Equal(LookupIntentKind.Customer, intent.Kind);
        Assert.Equal(name, intent.Argument);
        Assert.True(intent.OnlyIfFound);
    }

    [Theory]
    [InlineData("who is the partner of record for an EA Azure subscription?")]
    [InlineData("How do I become partner of record for my customer's Office 365?")]
    [InlineData("what is an MPN ID?")]
    [InlineData("Which partner programs changed in 2015?")]
    [InlineData("where do I set POR in admin.microsoft.com?")]
    [InlineData("Azure AD Premium version 1.5 on EA")]
    [InlineData("help")]
    [InlineData("")]
    public void Recognize_GuidanceQuestion_IsNotALookup(string text)
    {
        Assert.Null(LookupIntentRecognizer.Recognize(text));
    }

    /// <summary>
    /// The guidance labelled sets are questions about POR in general, so none may be taken as a lookup.
    /// The exception is a question naming a concrete partner id ("is 3664167 a valid format for a partner id"):
    /// the partner id card answers it better, format explanation included.
    /// </summary>
    [Fact]
    public void Recognize_EveryLabelledGuidanceQuestion_IsLeftToGuidance()
    {
        var questions = LabelledQuestionsTests.LoadQuestions().Concat(LabelledQuestionsTests.LoadQuestions("questions-holdout.json"))
            .Where(q => !System.Text.RegularExpressions.Regex.IsMatch(q.Q, @"(?<!\d)\d{5,8}(?!\d)"))
            .ToList();
        Assert.True(questions.Count > 150);

        var claimed = questions
            .Select(q => (q.Q, Intent: LookupIntentRecognizer.Recognize(q.Q)))
            .Where(x => x.Intent is not null)
            .Select(x => $"{x.Q} → {x.Intent}")
            .ToList();

        Assert.True(claimed.Count == 0, "Guidance questions taken as lookups:\n" + string.Join('\n', claimed));
    }
}
