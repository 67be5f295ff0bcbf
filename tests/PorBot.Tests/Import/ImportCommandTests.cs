using System.Diagnostics;
using PorBot.Cli;
using PorBot.Lookups;
using PorBot.Tests.Registry;

namespace PorBot.Tests.Import;

public sealed class ImportCommandTests : IAsyncLifetime
{
    private const string SubscriptionsHeader = "subscription_id,customer_name,customer_tenant_id,customer_domain,program,product,por_partner_id,por_since";

    private const string GoodPartners = """
        partner_id,name,tenant_ids,country
        4412345,Contoso Cloud Partners,1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01,AU
        55234,Fabrikam Consulting,2a1b2c3d-8e9f-4a0b-8c1d-2e3f4a5b6c02;2a1b2c3d-8e9f-4a0b-8c1d-2e3f4a5b6c03,NZ
        """;

    private const string GoodSubscriptions = SubscriptionsHeader + """

        8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c11,Adventure Works,c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a21,adventure-works.com,EA,Azure,4412345,2025-03-14
        9b0c1d2e-3f4a-4b6c-9d7e-8f9a0b1c2d12,Adventure Works,c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a21,adventure-works.com,csp,office365,55234,2024-11-02
        1d2e3f4a-5b6c-4d8e-9f9a-0b1c2d3e4f14,Tailspin Toys,e2c3d4e5-f6a7-4b82-8c9d-1e2f3a4b5c23,,Open,Intune,,
        """;

    private RegistryTestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await RegistryTestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Import_GoodFiles_WritesEveryRowAndReportsCounts()
    {
        var run = await _db.ImportAsync(_db.WriteFile("p.csv", GoodPartners), _db.WriteFile("s.csv", GoodSubscriptions));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Imported 2 partners and 3 subscriptions", run.Output, StringComparison.Ordinal);
        var registry = _db.Registry();
        var sub = await registry.GetSubscriptionAsync(Guid.Parse("9b0c1d2e-3f4a-4b6c-9d7e-8f9a0b1c2d12"), default);
        Assert.Equal((PurchaseProgram.CSP, Product.Office365, "55234", "Fabrikam Consulting"), (sub!.Program, sub.Product, sub.PorPartnerId, sub.PorPartnerName));
        var tailspin = await registry.GetSubscriptionAsync(Guid.Parse("1d2e3f4a-5b6c-4d8e-9f9a-0b1c2d3e4f14"), default);
        Assert.Null(tailspin!.CustomerDomain);
        Assert.Null(tailspin.PorPartnerId);
        Assert.Equal(2, (await registry.GetPartnerAsync("55234", default))!.TenantIds.Count);
    }

    [Fact]
    public async Task Import_FilesInAnyOrder_PartnersAreLoadedFirst()
    {
        var run = await _db.ImportAsync(_db.WriteFile("s.csv", GoodSubscriptions), _db.WriteFile("p.csv", GoodPartners));

        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public async Task Import_EveryKindOfBadSubscriptionRow_IsListedWithItsLine_AndNothingIsWritten()
    {
        await _db.ImportOkAsync(_db.WriteFile("p.csv", GoodPartners), _db.WriteFile("s.csv", GoodSubscriptions));
        var before = await _db.DumpAsync();
        var file = _db.WriteBytes("bad.csv", [.. System.Text.Encoding.UTF8.GetBytes(SubscriptionsHeader + """

            aaaaaaaa-0000-4000-8000-000000000001,Good Row,bbbbbbbb-0000-4000-8000-000000000001,good.example,EA,Azure,4412345,2025-01-01
            not-a-guid,Bad Guid,bbbbbbbb-0000-4000-8000-000000000002,,EA,Azure,,
            aaaaaaaa-0000-4000-8000-000000000003,Bad Program,bbbbbbbb-0000-4000-8000-000000000003,,XYZ,Azure,,
            aaaaaaaa-0000-4000-8000-000000000004,Bad Product,bbbbbbbb-0000-4000-8000-000000000004,,EA,Windows,,
            aaaaaaaa-0000-4000-8000-000000000005,Short Partner,bbbbbbbb-0000-4000-8000-000000000005,,EA,Azure,1234,2025-01-01
            aaaaaaaa-0000-4000-8000-000000000006,Unknown Partner,bbbbbbbb-0000-4000-8000-000000000006,,EA,Azure,7777777,2025-01-01
            aaaaaaaa-0000-4000-8000-000000000001,Duplicate,bbbbbbbb-0000-4000-8000-000000000007,,EA,Azure,,
            aaaaaaaa-0000-4000-8000-000000000008,Too Few Columns,bbbbbbbb-0000-4000-8000-000000000008,,EA,Azure
            aaaaaaaa-0000-4000-8000-000000000009,Bad Date,bbbbbbbb-0000-4000-8000-000000000009,,EA,Azure,4412345,2025-02-30
            aaaaaaaa-0000-4000-8000-000000000010,Bad Tenant,nope,,EA,Azure,,
            aaaaaaaa-0000-4000-8000-000000000011,Bad Domain,bbbbbbbb-0000-4000-8000-000000000011,not a domain,EA,Azure,,
            aaaaaaaa-0000-4000-8000-000000000012,"Bad "Quote",bbbbbbbb-0000-4000-8000-000000000012,,EA,Azure,,
            aaaaaaaa-0000-4000-8000-000000000013,,bbbbbbbb-0000-4000-8000-000000000013,,EA,Azure,,
            aaaaaaaa-0000-4000-8000-000000000014,Since Without Por,bbbbbbbb-0000-4000-8000-000000000014,,EA,Azure,,2025-01-01

            """), .. "aaaaaaaa-0000-4000-8000-000000000015,Bad "u8, 0xFF, .. " Bytes,bbbbbbbb-0000-4000-8000-000000000015,,EA,Azure,,\n"u8]);

        var run = await _db.ImportAsync(file);

        Assert.Equal(1, run.ExitCode);
        string[] expected =
        [
            "bad.csv:3: subscription_id \"not-a-guid\" is not a GUID",
            "bad.csv:4: program \"XYZ\" is not one of EA, EAS, CASA, EES, MOSP, Open, MOSA, CSP",
            "bad.csv:5: product \"Windows\" is not one of Office365, Intune, AADP, DynamicsCRMOnline, Azure",
            "bad.csv:6: por_partner_id \"1234\" is not 5 to 8 digits",
            "bad.csv:7: por_partner_id 7777777 is not a known partner",
            "bad.csv:8: duplicate subscription_id aaaaaaaa-0000-4000-8000-000000000001 (first at ",
            "bad.csv:9: expected 8 columns, found 6",
            "bad.csv:10: por_since \"2025-02-30\" is not an ISO date (yyyy-MM-dd)",
            "bad.csv:11: customer_tenant_id \"nope\" is not a GUID",
            "bad.csv:12: customer_domain \"not a domain\" is not a domain name",
            "bad.csv:13: text after the closing quote of a field",
            "bad.csv:14: customer_name is empty",
            "bad.csv:15: por_since is set but por_partner_id is empty",
            "bad.csv:16: invalid UTF-8",
        ];
        foreach (var line in expected) Assert.Contains(line, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("bad.csv:2:", run.Error, StringComparison.Ordinal);
        Assert.Contains("Import rejected: 14 problem(s) in 1 file(s). Nothing was written", run.Error, StringComparison.Ordinal);
        Assert.Equal(before, await _db.DumpAsync());
    }

    [Fact]
    public async Task Import_EveryKindOfBadPartnerRow_IsListedWithItsLine()
    {
        var run = await _db.ImportAsync(_db.WriteFile("partners.csv", """
            partner_id,name,tenant_ids,country
            1234567,Good Partner,11111111-0000-4000-8000-000000000001,AU
            12a4567,Letters In Id,,AU
            123456789,Nine Digits,,AU
            1234567,Duplicate Id,,AU
            2345678,Bad Tenant,not-a-guid,AU
            3456789,Tenant Taken,11111111-0000-4000-8000-000000000001,AU
            4567890,,,AU
            5678901,Extra Column,,AU,extra
            """));

        Assert.Equal(1, run.ExitCode);
        foreach (var line in (string[])[
            "partners.csv:3: partner_id \"12a4567\" is not 5 to 8 digits",
            "partners.csv:4: partner_id \"123456789\" is not 5 to 8 digits",
            "partners.csv:5: duplicate partner_id 1234567 (first at ",
            "partners.csv:6: tenant id \"not-a-guid\" is not a GUID",
            "partners.csv:7: tenant 11111111-0000-4000-8000-000000000001 is already listed for partner 1234567",
            "partners.csv:8: name is empty",
            "partners.csv:9: expected 4 columns, found 5",
        ])
        {
            Assert.Contains(line, run.Error, StringComparison.Ordinal);
        }

        Assert.Equal(0, await _db.CountAsync("partners"));
    }

    [Fact]
    public async Task Import_GoodPartnersWithBadSubscriptions_RejectsBothFiles()
    {
        var before = await _db.DumpAsync();
        var run = await _db.ImportAsync(_db.WriteFile("p.csv", GoodPartners), _db.WriteFile("s.csv", SubscriptionsHeader + "\nbroken\n"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("s.csv:2: expected 8 columns, found 1", run.Error, StringComparison.Ordinal);
        Assert.Equal(before, await _db.DumpAsync());
    }

    [Fact]
    public async Task Import_UnknownPartner_IsAcceptedWhenTheRegistryAlreadyHasIt()
    {
        await _db.ImportOkAsync(_db.WriteFile("p.csv", GoodPartners));

        await _db.ImportOkAsync(_db.WriteFile("s.csv", GoodSubscriptions));

        Assert.Equal(3, await _db.CountAsync("subscriptions"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Importer_FailedRun_InEitherWriteMode_LeavesTablesIndexesAndTriggersUnchanged(bool bulk)
    {
        await _db.ImportOkAsync(_db.WriteFile("p.csv", GoodPartners), _db.WriteFile("s.csv", GoodSubscriptions));
        var before = await _db.DumpAsync();
        var importer = new RegistryImporter(_db.Database, TimeProvider.System) { BulkMode = bulk };
        var changed = GoodSubscriptions.Replace("Adventure Works", "Renamed Works", StringComparison.Ordinal).Replace("Open,Intune", "Open,Nope", StringComparison.Ordinal);

        var result = await importer.ImportAsync([_db.WriteFile("p2.csv", GoodPartners.Replace("Contoso", "Changed", StringComparison.Ordinal)), _db.WriteFile("s2.csv", changed)]);

        Assert.False(result.Succeeded);
        Assert.Equal(before, await _db.DumpAsync());
    }

    [Fact]
    public async Task Import_SameKeysAgain_UpdatesRowsInPlace()
    {
        await _db.ImportOkAsync(_db.WriteFile("p.csv", GoodPartners), _db.WriteFile("s.csv", GoodSubscriptions));

        await _db.ImportOkAsync(
            _db.WriteFile("p2.csv", GoodPartners.Replace("Contoso Cloud Partners", "Contoso Cloud Group", StringComparison.Ordinal)),
            _db.WriteFile("s2.csv", SubscriptionsHeader + "\n1d2e3f4a-5b6c-4d8e-9f9a-0b1c2d3e4f14,Tailspin Toys,e2c3d4e5-f6a7-4b82-8c9d-1e2f3a4b5c23,tailspintoys.com,Open,Intune,4412345,2026-01-09\n"));

        var registry = _db.Registry();
        Assert.Equal(3, await _db.CountAsync("subscriptions"));
        Assert.Equal(2, await _db.CountAsync("partners"));
        var tailspin = await registry.GetSubscriptionAsync(Guid.Parse("1d2e3f4a-5b6c-4d8e-9f9a-0b1c2d3e4f14"), default);
        Assert.Equal(("4412345", "Contoso Cloud Group", "tailspintoys.com"), (tailspin!.PorPartnerId, tailspin.PorPartnerName, tailspin.CustomerDomain));
        Assert.Equal("4412345", Assert.Single(await registry.SearchPartnersAsync("cloud group", 5, default)).PartnerId);
        Assert.Empty(await registry.SearchPartnersAsync("cloud partners", 5, default));
    }

    [Fact]
    public async Task Import_ReimportMovesAPartnerTenant_ToTheNewList()
    {
        await _db.ImportOkAsync(_db.WriteFile("p.csv", GoodPartners));

        await _db.ImportOkAsync(_db.WriteFile("p2.csv", "partner_id,name,tenant_ids,country\n55234,Fabrikam Consulting,2a1b2c3d-8e9f-4a0b-8c1d-2e3f4a5b6c03,NZ\n"));

        var registry = _db.Registry();
        Assert.Equal([Guid.Parse("2a1b2c3d-8e9f-4a0b-8c1d-2e3f4a5b6c03")], (await registry.GetPartnerAsync("55234", default))!.TenantIds);
        Assert.Null(await registry.GetPartnerByTenantAsync(Guid.Parse("2a1b2c3d-8e9f-4a0b-8c1d-2e3f4a5b6c02"), default));
    }

    [Fact]
    public async Task Import_HeaderIsRecognisedIgnoringCaseAndSpaces_BomCrLfAndQuotesAreHandled()
    {
        var text = "\uFEFF PARTNER_ID , Name ,Tenant_IDs,country\r\n\"4412345\",\"Contoso, \"\"The Cloud\"\" Partners\",,AU\r\n";
        File.WriteAllText(Path.Combine(_db.Directory, "p.csv"), text, new System.Text.UTF8Encoding(false));

        var run = await _db.ImportAsync(Path.Combine(_db.Directory, "p.csv"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("Contoso, \"The Cloud\" Partners", (await _db.Registry().GetPartnerAsync("4412345", default))!.Name);
    }

    [Fact]
    public async Task Import_UnrecognisedHeaderOrMissingFile_IsRejectedWithTheReason()
    {
        var run = await _db.ImportAsync(_db.WriteFile("x.csv", "id,name\n1,a\n"), _db.WriteFile("reordered.csv", "name,partner_id,tenant_ids,country\n"), Path.Combine(_db.Directory, "missing.csv"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("x.csv:1: unrecognised header \"id,name\"", run.Error, StringComparison.Ordinal);
        Assert.Contains("reordered.csv:1: unrecognised header", run.Error, StringComparison.Ordinal);
        Assert.Contains("missing.csv: file not found", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData]
    [InlineData("--generate")]
    [InlineData("--generate", "ten")]
    [InlineData("--frobnicate")]
    public async Task Import_BadUsage_ExitsWithTwoAndShowsUsage(params string[] args)
    {
        var error = new StringWriter();

        var exit = await ImportCommand.RunAsync(args, TextWriter.Null, error);

        Assert.Equal(2, exit);
        Assert.Contains("Usage:", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_ThenImport_RoundTripsAndIsDeterministic()
    {
        var outA = Path.Combine(_db.Directory, "a");
        var outB = Path.Combine(_db.Directory, "b");
        Assert.Equal(0, await ImportCommand.RunAsync(["--generate", "600", "--out", outA, "--seed", "7"], TextWriter.Null, TextWriter.Null));
        Assert.Equal(0, await ImportCommand.RunAsync(["--generate", "600", "--out", outB, "--seed", "7"], TextWriter.Null, TextWriter.Null));
        Assert.Equal(File.ReadAllBytes(Path.Combine(outA, "subscriptions.csv")), File.ReadAllBytes(Path.Combine(outB, "subscriptions.csv")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(outA, "partners.csv")), File.ReadAllBytes(Path.Combine(outB, "partners.csv")));

        var run = await _db.ImportAsync(Path.Combine(outA, "partners.csv"), Path.Combine(outA, "subscriptions.csv"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(600, await _db.CountAsync("subscriptions"));
        Assert.Equal(10, await _db.CountAsync("partners"));
        var withoutPor = await _db.CountAsync("subscriptions WHERE por_partner_id IS NULL");
        Assert.InRange(withoutPor, 30, 100); // about 10%
        var programs = await _db.CountAsync("(SELECT DISTINCT program FROM subscriptions)");
        Assert.Equal(8, programs);
        var someName = File.ReadLines(Path.Combine(outA, "subscriptions.csv")).Skip(1).First();
        var customers = await _db.Registry().SearchCustomersAsync(new CsvReader(new StringReader(someName)).Read()!.Fields[1], 5, default);
        Assert.True(customers[0].Score >= 4);
    }

    [Fact]
    public async Task BulkAndRowByRowWrites_ProduceTheSameRegistry()
    {
        var (partners, subscriptions) = SyntheticRegistry.Generate(1500, Path.Combine(_db.Directory, "gen"), seed: 3);
        await using var other = await RegistryTestDatabase.CreateAsync();

        Assert.True((await new RegistryImporter(_db.Database, TimeProvider.System) { BulkMode = true }.ImportAsync([partners, subscriptions])).Succeeded);
        Assert.True((await new RegistryImporter(other.Database, TimeProvider.System) { BulkMode = false }.ImportAsync([partners, subscriptions])).Succeeded);

        Assert.Equal(await CustomersAsync(_db), await CustomersAsync(other));
        foreach (var query in (string[])["blue", "harbor logistics", "mueller", "Logistcs", "sydney fr"])
        {
            // Equal names tie-break by row id, which differs between the write paths: compare as sets.
            Assert.Equal(
                (await _db.Registry().SearchCustomersAsync(query, 100, default)).Select(m => (m.CustomerName, m.CustomerTenantId, m.SubscriptionCount, m.Score)).Order(),
                (await other.Registry().SearchCustomersAsync(query, 100, default)).Select(m => (m.CustomerName, m.CustomerTenantId, m.SubscriptionCount, m.Score)).Order());
        }
    }

    [Fact]
    public async Task RealEntryPoint_ImportCommand_ExitCodesAndOutput()
    {
        var good = _db.WriteFile("p.csv", GoodPartners);
        var bad = _db.WriteFile("s.csv", SubscriptionsHeader + "\nx\n");

        var ok = await RunPorBotAsync("import", good);
        var rejected = await RunPorBotAsync("import", bad);

        Assert.True(ok.ExitCode == 0, ok.Error);
        Assert.Contains("Imported 2 partners and 0 subscriptions", ok.Output, StringComparison.Ordinal);
        Assert.Equal(1, rejected.ExitCode);
        Assert.Contains("s.csv:2: expected 8 columns, found 1", rejected.Error, StringComparison.Ordinal);
        Assert.Equal("Contoso Cloud Partners", (await _db.Registry().GetPartnerAsync("4412345", default))!.Name);
    }

    // `dotnet PorBot.dll import ...` with the database chosen the way a deployment would: ConnectionStrings__PorBot.
    private async Task<CliRun> RunPorBotAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _db.Directory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PorBot.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["ConnectionStrings__PorBot"] = $"Data Source={_db.Path}";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return new CliRun(process.ExitCode, await output, await error);
    }

    private static async Task<string> CustomersAsync(RegistryTestDatabase db)
    {
        var dump = await db.DumpAsync();
        var start = dump.IndexOf("== customers ", StringComparison.Ordinal);
        var end = dump.IndexOf("== ", start + 3, StringComparison.Ordinal);
        // Row ids differ between the write paths; compare tenant, name, domain, count.
        return string.Join('\n', dump[start..end].Split('\n').Skip(1).Where(l => l.Length > 0).Select(l => l[(l.IndexOf('|', StringComparison.Ordinal) + 1)..]).Order(StringComparer.Ordinal));
    }
}
