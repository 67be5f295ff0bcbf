using PorBot.Lookups;

namespace PorBot.Tests.Lookups;

public sealed class PartnerIdValidatorTests
{
    [Theory]
    [InlineData("4412345")]
    [InlineData("  4412345 ")]
    [InlineData("MPN 4412345")]
    [InlineData("mpn:4412345")]
    [InlineData("MPN ID: 4412345")]
    [InlineData("PartnerID 4412345")]
    [InlineData("Partner ID #4412345")]
    [InlineData("partner-id 4412345")]
    [InlineData("#4412345")]
    public void CheckFormat_SevenDigitsWithOrWithoutPrefix_IsValid(string input)
    {
        var check = PartnerIdValidator.CheckFormat(input);

        Assert.Equal(PartnerIdFormat.Valid, check.Format);
        Assert.Equal("4412345", check.PartnerId);
        Assert.Equal(input, check.Input);
    }

    [Fact]
    public void CheckFormat_SixDigits_IsValid() =>
        Assert.Equal(PartnerIdFormat.Valid, PartnerIdValidator.CheckFormat("565380").Format);

    [Theory]
    [InlineData("12345", 5)]
    [InlineData("12345678", 8)]
    public void CheckFormat_FiveOrEightDigits_IsAllowedWithAWarning(string input, int digits)
    {
        var check = PartnerIdValidator.CheckFormat(input);

        Assert.Equal(PartnerIdFormat.ValidUnusualLength, check.Format);
        Assert.True(check.IsWellFormed);
        Assert.Contains($"{digits} digits is unusual", check.Explanation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1234", "this has 4")]
    [InlineData("123456789", "this has 9")]
    [InlineData("44-12345", "digits only")]
    [InlineData("contoso", "digits only")]
    [InlineData("MPN", "no partner ID")]
    [InlineData("   ", "no partner ID")]
    public void CheckFormat_WrongLengthOrNotDigits_IsInvalidAndSaysWhy(string input, string reason)
    {
        var check = PartnerIdValidator.CheckFormat(input);

        Assert.Equal(PartnerIdFormat.Invalid, check.Format);
        Assert.False(check.IsWellFormed);
        Assert.Contains(reason, check.Explanation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4412345")]
    [InlineData("12345")]
    public void CheckFormat_WellFormed_NeverClaimsThePartnerExists(string input)
    {
        var explanation = PartnerIdValidator.CheckFormat(input).Explanation;

        Assert.DoesNotContain("exist", explanation, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("valid partner", explanation, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("known", explanation, StringComparison.OrdinalIgnoreCase);
    }
}
