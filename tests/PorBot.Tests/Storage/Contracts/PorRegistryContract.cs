using PorBot.Lookups;

namespace PorBot.Tests.Storage.Contracts;

/// <summary>
/// What every embedded <see cref="IPorRegistry"/> adapter does: exact lookups, ranked name search (exact &gt;
/// prefix &gt; word &gt; substring &gt; typo, case and accents folded), and POR changes. The data is loaded
/// the way that store is loaded in production (SQLite: the import CLI; Azure: import, then migrate-to-azure).
/// </summary>
public abstract class PorRegistryContract : IAsyncLifetime
{
    private const string ContosoTenant = "c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a21";
    private const string ContosoSubscriptionAzure = "8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c11";
    private const string ContosoSubscriptionOffice = "9b0c1d2e-3f4a-4b6c-9d7e-8f9a0b1c2d12";
    private const string ContosoPartnerTenant = "1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01";

    private const string Partners = """
        partner_id,name,tenant_ids,country
        4412345,Contoso Cloud Partners,1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01;1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e99,AU
        5523456,Fabrikam Consulting,2a1b2c3d-8e9f-4a0b-8c1d-2e3f4a5b6c02,NZ
        6634567,Northwind Solutions,,US
        """;

    private const string Subscriptions = """
        subscription_id,customer_name,customer_tenant_id,customer_domain,program,product,por_partner_id,por_since
        8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c11,Contoso,c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a21,contoso.com,EA,Azure,4412345,2025-03-14
        9b0c1d2e-3f4a-4b6c-9d7e-8f9a0b1c2d12,Contoso,c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a21,contoso.com,CSP,Office365,,
        00000000-0000-4000-8000-000000000002,Contoso Ltd,00000000-0000-4000-8000-0000000000b2,contosoltd.co.uk,MOSP,Intune,5523456,2024-01-02
        00000000-0000-4000-8000-000000000003,Contoso Pharmaceuticals International,00000000-0000-4000-8000-0000000000b3,contosopharma.com,EA,Azure,5523456,2024-01-02
        00000000-0000-4000-8000-000000000004,Northwind Contoso Traders,00000000-0000-4000-8000-0000000000b4,nwct.com,EES,AADP,6634567,2023-05-06
        00000000-0000-4000-8000-000000000005,Supercontoso Holdings,00000000-0000-4000-8000-0000000000b5,supercontoso.com,Open,Office365,6634567,2023-05-06
        00000000-0000-4000-8000-000000000006,Adventure Works Cycles,00000000-0000-4000-8000-0000000000b6,adventure-works.com,MOSA,DynamicsCRMOnline,4412345,2022-02-02
        00000000-0000-4000-8000-000000000007,Müller Ärzte GmbH,00000000-0000-4000-8000-0000000000b7,mueller-aerzte.de,CASA,Office365,4412345,2022-02-02
        00000000-0000-4000-8000-000000000008,"Smith, Jones & Co",00000000-0000-4000-8000-0000000000b8,smithjones.com,EAS,Azure,4412345,2022-02-02
        00000000-0000-4000-8000-000000000009,Wide World Importers,00000000-0000-4000-8000-0000000000b9,wideworldimporters.com,CSP,Azure,5523456,2021-09-09
        00000000-0000-4000-8000-000000000010,Fabrikam Residences,00000000-0000-4000-8000-0000000000ba,fabrikamresidences.com,CSP,Azure,5523456,2021-09-09
        """;

    private DateTimeOffset _importedAfter;
    private DateTimeOffset _importedBefore;

    /// <summary>What <see cref="Provenance.Source"/> says for this adapter.</summary>
    protected abstract string SourceName { get; }

    /// <summary>A registry over this test's store; every call gives another instance over the same data.</summary>
    protected abstract IPorRegistry Registry(TimeProvider? time = null);

    /// <summary>Loads partners.csv / subscriptions.csv files (import CLI format) into the store, adding to what is there.</summary>
    protected abstract Task ImportAsync(params (string Name, string Csv)[] files);

    /// <summary>Everything the store holds, in a stable order: equal snapshots mean nothing changed.</summary>
    protected abstract Task<string> SnapshotAsync();

    /// <summary>The POR change log of one subscription, oldest first, as "old→new effective reason" (NULL for none).</summary>
    protected abstract Task<IReadOnlyList<string>> PorChangeLogAsync(Guid subscriptionId);

    protected abstract Task CreateStoreAsync();

    public abstract Task DisposeAsync();

    public async Task InitializeAsync()
    {
        await CreateStoreAsync();
        _importedAfter = DateTimeOffset.UtcNow.AddSeconds(-1);
        await ImportAsync(("partners.csv", Partners), ("subscriptions.csv", Subscriptions));
        _importedBefore = DateTimeOffset.UtcNow.AddSeconds(1);
    }

    [Fact]
    public async Task GetSubscription_KnownId_ReturnsRecordWithPartnerNameAndProvenance()
    {
        var record = await Registry().GetSubscriptionAsync(Guid.Parse(ContosoSubscriptionAzure), default);

        Assert.NotNull(record);
        Assert.Equal("Contoso", record.CustomerName);
        Assert.Equal(Guid.Parse(ContosoTenant), record.CustomerTenantId);
        Assert.Equal("contoso.com", record.CustomerDomain);
        Assert.Equal(PurchaseProgram.EA, record.Program);
        Assert.Equal(Product.Azure, record.Product);
        Assert.Equal("4412345", record.PorPartnerId);
        Assert.Equal("Contoso Cloud Partners", record.PorPartnerName);
        Assert.Equal(new DateOnly(2025, 3, 14), record.PorSince);
        Assert.Equal(SourceName, record.Provenance.Source);
        Assert.InRange(record.Provenance.UpdatedAt, _importedAfter, _importedBefore);
    }

    [Fact]
    public async Task GetSubscription_UnknownId_ReturnsNull() =>
        Assert.Null(await Registry().GetSubscriptionAsync(Guid.NewGuid(), default));

    [Fact]
    public async Task GetSubscriptionsByTenant_ReturnsEverySubscriptionOfTheCustomer_WithAndWithoutPor()
    {
        var records = await Registry().GetSubscriptionsByTenantAsync(Guid.Parse(ContosoTenant), default);

        Assert.Equal([Guid.Parse(ContosoSubscriptionAzure), Guid.Parse(ContosoSubscriptionOffice)], records.Select(r => r.SubscriptionId));
        var noPor = records.Single(r => r.Product == Product.Office365);
        Assert.Null(noPor.PorPartnerId);
        Assert.Null(noPor.PorPartnerName);
        Assert.Null(noPor.PorSince);
    }

    [Theory]
    [InlineData("contoso.com")]
    [InlineData("CONTOSO.COM")]
    [InlineData(" Contoso.Com. ")]
    public async Task GetSubscriptionsByDomain_IgnoresCaseSpacesAndTrailingDot(string domain)
    {
        var records = await Registry().GetSubscriptionsByDomainAsync(domain, default);

        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.Equal("Contoso", r.CustomerName));
    }

    [Fact]
    public async Task GetSubscriptionsByDomain_UnknownDomain_ReturnsEmpty() =>
        Assert.Empty(await Registry().GetSubscriptionsByDomainAsync("contoso.org", default));

    [Fact]
    public async Task GetPartner_ById_ReturnsNameCountryAndAllTenants()
    {
        var partner = await Registry().GetPartnerAsync(" 4412345 ", default);

        Assert.NotNull(partner);
        Assert.Equal("Contoso Cloud Partners", partner.Name);
        Assert.Equal("AU", partner.Country);
        Assert.Equal([Guid.Parse(ContosoPartnerTenant), Guid.Parse("1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e99")], partner.TenantIds);
        Assert.Equal(SourceName, partner.Provenance.Source);
        Assert.Null(await Registry().GetPartnerAsync("9999999", default));
    }

    [Fact]
    public async Task GetPartnerByTenant_MapsAnyOfThePartnersTenants_UnknownTenantIsNull()
    {
        var registry = Registry();

        Assert.Equal("4412345", (await registry.GetPartnerByTenantAsync(Guid.Parse("1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e99"), default))?.PartnerId);
        Assert.Equal("5523456", (await registry.GetPartnerByTenantAsync(Guid.Parse("2a1b2c3d-8e9f-4a0b-8c1d-2e3f4a5b6c02"), default))?.PartnerId);
        Assert.Null(await registry.GetPartnerByTenantAsync(Guid.Parse(ContosoTenant), default));
    }

    [Fact]
    public async Task SearchCustomers_RanksExactThenPrefixThenWordThenSubstring()
    {
        var matches = await Registry().SearchCustomersAsync("contoso", 10, default);

        Assert.Equal(
            ["Contoso", "Contoso Ltd", "Contoso Pharmaceuticals International", "Northwind Contoso Traders", "Supercontoso Holdings"],
            matches.Select(m => m.CustomerName));
        Assert.Equal(matches.Select(m => m.Score).OrderDescending(), matches.Select(m => m.Score));
        var contoso = matches[0];
        Assert.Equal(Guid.Parse(ContosoTenant), contoso.CustomerTenantId);
        Assert.Equal("contoso.com", contoso.CustomerDomain);
        Assert.Equal(2, contoso.SubscriptionCount);
    }

    [Fact]
    public async Task SearchCustomers_HalfTypedName_PrefixMatchesComeFirstShortestFirst()
    {
        var matches = await Registry().SearchCustomersAsync("CONTO", 10, default);

        Assert.Equal(["Contoso", "Contoso Ltd", "Contoso Pharmaceuticals International", "Northwind Contoso Traders", "Supercontoso Holdings"],
            matches.Select(m => m.CustomerName));
    }

    [Fact]
    public async Task SearchCustomers_LimitCutsTheRankedList() =>
        Assert.Equal(["Contoso", "Contoso Ltd"], (await Registry().SearchCustomersAsync("contoso", 2, default)).Select(m => m.CustomerName));

    [Theory]
    [InlineData("importers", "Wide World Importers")]
    [InlineData("world wide", "Wide World Importers")]
    [InlineData("contoso trad", "Northwind Contoso Traders")]
    [InlineData("pharma", "Contoso Pharmaceuticals International")]
    public async Task SearchCustomers_WordsAnywhereInAnyOrder_Match(string query, string expected)
    {
        var matches = await Registry().SearchCustomersAsync(query, 10, default);

        Assert.Equal(expected, matches[0].CustomerName);
    }

    [Theory]
    [InlineData("Adventure Wroks", "Adventure Works Cycles")]
    [InlineData("Fabrikma", "Fabrikam Residences")]
    [InlineData("wide wrold importers", "Wide World Importers")]
    [InlineData("Pharmacueticals", "Contoso Pharmaceuticals International")]
    public async Task SearchCustomers_TypoInALongerName_StillFindsIt_BelowRealMatches(string query, string expected)
    {
        var matches = await Registry().SearchCustomersAsync(query, 10, default);

        var match = Assert.Single(matches);
        Assert.Equal(expected, match.CustomerName);
        Assert.InRange(match.Score, 0, 1);
    }

    [Fact]
    public async Task SearchCustomers_SubstringInsideAWord_Matches()
    {
        var matches = await Registry().SearchCustomersAsync("ventur", 10, default);

        Assert.Equal("Adventure Works Cycles", Assert.Single(matches).CustomerName);
    }

    [Theory]
    [InlineData("muller")]
    [InlineData("MÜLLER ärzte")]
    [InlineData("Muller Arzte GmbH")]
    public async Task SearchCustomers_IgnoresCaseAndAccents(string query) =>
        Assert.Equal("Müller Ärzte GmbH", (await Registry().SearchCustomersAsync(query, 10, default))[0].CustomerName);

    [Theory]
    [InlineData("Smith, Jones & Co")]
    [InlineData("smith & jones")]
    [InlineData("\"smith\"")]
    [InlineData("smith*")]
    [InlineData("(smith) {jones}: co")]
    [InlineData("smith + jones")]
    [InlineData("jones'")]
    [InlineData("smith -jones")]
    [InlineData("^smith")]
    public async Task SearchCustomers_FtsSyntaxInTheQuery_IsTakenLiterally(string query)
    {
        var matches = await Registry().SearchCustomersAsync(query, 10, default);

        Assert.Equal("Smith, Jones & Co", matches[0].CustomerName);
    }

    [Theory]
    [InlineData("smith OR jones")]
    [InlineData("NEAR(smith jones)")]
    [InlineData("NOT")]
    [InlineData("name:smith")]
    [InlineData("\"")]
    [InlineData("a\"b")]
    public async Task SearchCustomers_FtsOperators_AreWordsNotSyntax(string query)
    {
        // "or", "near", "not" and "name" are searched as words; none of these names has them, so nothing matches, and nothing throws.
        var matches = await Registry().SearchCustomersAsync(query, 10, default);

        Assert.DoesNotContain(matches, m => m.CustomerName == "Contoso");
    }

    [Fact]
    public async Task SearchCustomers_ExactNameWithPunctuation_RanksAsExact()
    {
        var match = (await Registry().SearchCustomersAsync("smith jones co", 10, default))[0];

        Assert.Equal("Smith, Jones & Co", match.CustomerName);
        Assert.True(match.Score >= 4);
    }

    [Theory]
    [InlineData("zzzqqqxxx")]
    [InlineData("***")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\" OR \"")]
    public async Task SearchCustomers_NothingMatchesOrNothingToSearch_ReturnsEmpty(string query) =>
        Assert.Empty(await Registry().SearchCustomersAsync(query, 10, default));

    [Fact]
    public async Task SearchCustomers_OneLetter_ListsNamesStartingWithIt()
    {
        var matches = await Registry().SearchCustomersAsync("w", 10, default);

        Assert.Equal("Wide World Importers", matches[0].CustomerName);
    }

    [Theory]
    [InlineData("contoso cl", "4412345")]
    [InlineData("fabrikam", "5523456")]
    [InlineData("Fabrikam Consluting", "5523456")]
    [InlineData("solutions", "6634567")]
    public async Task SearchPartners_PrefixWordAndTypo_FindThePartner(string query, string expectedId)
    {
        var partners = await Registry().SearchPartnersAsync(query, 10, default);

        Assert.Equal(expectedId, partners[0].PartnerId);
        Assert.Equal(SourceName, partners[0].Provenance.Source);
    }

    [Fact]
    public async Task SearchPartners_NoMatch_ReturnsEmpty() =>
        Assert.Empty(await Registry().SearchPartnersAsync("Litware", 10, default));

    [Fact]
    public async Task RecordPorChange_SetsPorAndSince_StampsTimeAndLogsTheChange()
    {
        var time = new FixedTime(new DateTimeOffset(2026, 4, 1, 9, 30, 0, TimeSpan.Zero));
        var registry = Registry(time);
        var id = Guid.Parse(ContosoSubscriptionOffice);

        await registry.RecordPorChangeAsync(new PorChange(id, "5523456", new DateOnly(2026, 3, 31), "claim approved"), default);

        var record = await registry.GetSubscriptionAsync(id, default);
        Assert.Equal("5523456", record!.PorPartnerId);
        Assert.Equal("Fabrikam Consulting", record.PorPartnerName);
        Assert.Equal(new DateOnly(2026, 3, 31), record.PorSince);
        Assert.Equal(time.GetUtcNow(), record.Provenance.UpdatedAt);
        Assert.Equal(["NULL→5523456 2026-03-31 claim approved"], await PorChangeLogAsync(id));
    }

    [Fact]
    public async Task RecordPorChange_NullPartner_ClearsPorAndSince()
    {
        var registry = Registry();
        var id = Guid.Parse(ContosoSubscriptionAzure);

        await registry.RecordPorChangeAsync(new PorChange(id, null, new DateOnly(2026, 1, 1), "partner removed"), default);

        var record = await registry.GetSubscriptionAsync(id, default);
        Assert.Null(record!.PorPartnerId);
        Assert.Null(record.PorSince);
    }

    [Fact]
    public async Task RecordPorChange_UnknownSubscriptionOrPartner_ThrowsAndChangesNothing()
    {
        var registry = Registry();
        var before = await SnapshotAsync();

        await Assert.ThrowsAsync<KeyNotFoundException>(() => registry.RecordPorChangeAsync(new PorChange(Guid.NewGuid(), "5523456", new DateOnly(2026, 1, 1), "x"), default));
        var error = await Assert.ThrowsAsync<KeyNotFoundException>(() =>
            registry.RecordPorChangeAsync(new PorChange(Guid.Parse(ContosoSubscriptionAzure), "1111111", new DateOnly(2026, 1, 1), "x"), default));

        Assert.Contains("1111111", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Search_AfterAnIncrementalImport_FindsNewNames_IncludingByTypo()
    {
        var registry = Registry();
        Assert.Empty(await registry.SearchCustomersAsync("Zanzibra", 10, default)); // loads the typo dictionary

        await ImportAsync(("more.csv", """
            subscription_id,customer_name,customer_tenant_id,customer_domain,program,product,por_partner_id,por_since
            00000000-0000-4000-8000-000000000099,Zanzibar Logistics,00000000-0000-4000-8000-0000000000c1,zanzibar.example,CSP,Azure,,
            """));

        Assert.Equal("Zanzibar Logistics", Assert.Single(await registry.SearchCustomersAsync("Zanzibra", 10, default)).CustomerName);
        Assert.Equal("Zanzibar Logistics", Assert.Single(await registry.SearchCustomersAsync("zanz", 10, default)).CustomerName);
    }

    [Fact]
    public async Task Search_AfterACustomerIsRenamedByReimport_FindsOnlyTheNewName()
    {
        await ImportAsync(("rename.csv", """
            subscription_id,customer_name,customer_tenant_id,customer_domain,program,product,por_partner_id,por_since
            00000000-0000-4000-8000-000000000010,Fabrikam Homes,00000000-0000-4000-8000-0000000000ba,fabrikamresidences.com,CSP,Azure,5523456,2021-09-09
            """));

        var registry = Registry();
        Assert.Equal("Fabrikam Homes", Assert.Single(await registry.SearchCustomersAsync("fabrikam", 10, default)).CustomerName);
        Assert.Empty(await registry.SearchCustomersAsync("residences", 10, default));
    }

    [Fact]
    public async Task RecordPorChange_TwoInstancesAtOnce_BothLand_AndTheLogChainsThem()
    {
        var id = Guid.Parse(ContosoSubscriptionOffice);

        await Task.WhenAll(
            Registry().RecordPorChangeAsync(new PorChange(id, "5523456", new DateOnly(2026, 5, 1), "first"), default),
            Registry().RecordPorChangeAsync(new PorChange(id, "6634567", new DateOnly(2026, 5, 2), "second"), default));

        var log = await PorChangeLogAsync(id);
        Assert.Equal(2, log.Count);
        var firstNew = log[0].Split(' ')[0].Split('→')[1];
        var secondNew = log[1].Split(' ')[0].Split('→')[1];
        Assert.StartsWith("NULL→", log[0], StringComparison.Ordinal);
        Assert.StartsWith(firstNew + "→", log[1], StringComparison.Ordinal);
        Assert.NotEqual(firstNew, secondNew);
        Assert.Equal(secondNew, (await Registry().GetSubscriptionAsync(id, default))!.PorPartnerId);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
