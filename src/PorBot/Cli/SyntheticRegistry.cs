using System.Globalization;
using System.Text;

namespace PorBot.Cli;

/// <summary>
/// Writes a realistic, fictional partners.csv and subscriptions.csv: company names built from word
/// lists (some with accents, ampersands and commas), domains derived from the names, customers with one
/// to five subscriptions, a realistic program and product mix, a few large partners holding many PORs,
/// and about 10% of subscriptions without a POR. The same seed always gives the same files.
/// </summary>
public static class SyntheticRegistry
{
    private static readonly string[] Surnames =
    [
        "Abbott", "Adler", "Alvarez", "Ashford", "Baker", "Barros", "Bennett", "Blackwood", "Brennan", "Brooks", "Calder", "Carrington",
        "Castillo", "Chen", "Clarke", "Coleman", "Conway", "Dalton", "Davies", "Delgado", "Dubois", "Duarte", "Ellison", "Evans",
        "Farrell", "Fischer", "Fitzgerald", "Fleming", "Foster", "Garner", "Gallagher", "Gómez", "Grant", "Hale", "Hartley", "Hayes",
        "Henderson", "Hoffmann", "Holloway", "Hughes", "Ibarra", "Jansen", "Jensen", "Kaur", "Keller", "Kennedy", "Kowalski", "Lambert",
        "Larsen", "Lefèvre", "Lindqvist", "Lockhart", "Lopez", "MacLeod", "Marsh", "Martens", "Mercer", "Moreau", "Morgan", "Müller",
        "Nakamura", "Navarro", "Nguyen", "Novak", "O'Brien", "Okafor", "Olsen", "Ortiz", "Palmer", "Patel", "Peralta", "Pereira",
        "Quinn", "Ramsay", "Reyes", "Richter", "Rossi", "Russo", "Sandoval", "Schneider", "Sørensen", "Sullivan", "Tanaka", "Thornton",
        "Turner", "Vargas", "Vasquez", "Walsh", "Weber", "Whitfield", "Wójcik", "Yamamoto", "Young", "Zhang", "Zimmermann", "Åberg",
    ];

    private static readonly string[] Adjectives =
    [
        "Blue", "Bright", "Golden", "Silver", "Northern", "Southern", "Eastern", "Western", "Coastal", "Summit", "Evergreen", "Red",
        "Green", "Iron", "Crystal", "Granite", "Rapid", "Pacific", "Atlantic", "Highland", "Royal", "United", "Global", "Prime",
        "Clear", "Bold", "True", "Quiet", "Swift", "Open", "Urban", "Rural", "Grand", "Little", "Modern", "Classic", "First", "Alpine",
    ];

    private static readonly string[] Nouns =
    [
        "Harbor", "River", "Ridge", "Valley", "Bridge", "Stone", "Oak", "Pine", "Maple", "Cedar", "Falcon", "Eagle", "Lion", "Wolf",
        "Anchor", "Compass", "Beacon", "Lantern", "Meadow", "Orchard", "Forge", "Mill", "Crown", "Arrow", "Peak", "Bay", "Field",
        "Canyon", "Delta", "Horizon", "Island", "Lake", "Garden", "Tower", "Gate", "Key", "Star", "Wave", "Spring", "Vista",
    ];

    private static readonly string[] Places =
    [
        "Adelaide", "Auckland", "Ballarat", "Bendigo", "Brisbane", "Cairns", "Canberra", "Christchurch", "Darwin", "Dunedin", "Geelong",
        "Hamilton", "Hobart", "Melbourne", "Napier", "Nelson", "Newcastle", "Perth", "Rotorua", "Sydney", "Tauranga", "Wellington",
        "Boston", "Denver", "Seattle", "Austin", "Dallas", "Chicago", "Toronto", "Vancouver", "London", "Manchester", "Dublin", "Zürich",
        "München", "Köln", "Lyon", "Malmö", "Kraków", "Porto",
    ];

    private static readonly string[] Industries =
    [
        "Logistics", "Freight", "Engineering", "Construction", "Plumbing", "Electrical", "Dental", "Medical", "Pharmacy", "Veterinary",
        "Accounting", "Legal", "Insurance", "Finance", "Capital", "Realty", "Properties", "Motors", "Automotive", "Aviation", "Marine",
        "Foods", "Bakery", "Brewing", "Wines", "Catering", "Hospitality", "Hotels", "Travel", "Fitness", "Education", "Academy",
        "Media", "Design", "Architects", "Printing", "Packaging", "Plastics", "Metals", "Mining", "Energy", "Solar", "Water", "Farms",
        "Agriculture", "Textiles", "Fashion", "Furniture", "Retail", "Wholesale", "Distribution", "Healthcare", "Laboratories",
        "Biotech", "Robotics", "Security", "Cleaning", "Landscaping", "Recruitment", "Consulting",
    ];

    private static readonly string[] Suffixes =
        ["Ltd", "Pty Ltd", "Limited", "Inc", "LLC", "GmbH", "AG", "SA", "BV", "Group", "Holdings", "Co", "Partners", "Corporation"];

    private static readonly string[] PartnerWords =
        ["Cloud", "Digital", "IT", "Systems", "Technology", "Data", "Cyber", "Networks", "Consulting", "Solutions", "Managed Services", "Software", "Infrastructure", "Advisory"];

    private static readonly string[] Countries = ["AU", "AU", "AU", "NZ", "NZ", "US", "US", "GB", "DE", "FR", "NL", "SE", "IE", "CA"];

    private static readonly string[] TopLevelDomains = [".com", ".com", ".com", ".com.au", ".co.nz", ".co.uk", ".de", ".net", ".io", ".org"];

    private static readonly (string Value, int Weight)[] ProgramMix =
        [("CSP", 35), ("EA", 15), ("MOSP", 14), ("MOSA", 10), ("Open", 8), ("EAS", 7), ("EES", 6), ("CASA", 5)];

    private static readonly (string Value, int Weight)[] ProductMix =
        [("Office365", 36), ("Azure", 30), ("Intune", 14), ("AADP", 12), ("DynamicsCRMOnline", 8)];

    public const string PartnersFileName = "partners.csv";
    public const string SubscriptionsFileName = "subscriptions.csv";

    /// <summary>Writes <c>partners.csv</c> and <c>subscriptions.csv</c> with <paramref name="subscriptions"/> rows into <paramref name="directory"/>.</summary>
    public static (string PartnersPath, string SubscriptionsPath) Generate(int subscriptions, string directory, int seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(subscriptions);
        Directory.CreateDirectory(directory);
        var random = new Random(seed);
        var partnersPath = Path.Combine(directory, PartnersFileName);
        var subscriptionsPath = Path.Combine(directory, SubscriptionsFileName);

        var partnerIds = new List<string>();
        var usedPartnerIds = new HashSet<string>(StringComparer.Ordinal);
        var partnerCount = Math.Clamp(subscriptions / 250, 10, 20_000);
        using (var writer = NewWriter(partnersPath))
        {
            writer.Write("partner_id,name,tenant_ids,country\n");
            for (var i = 0; i < partnerCount; i++)
            {
                string id;
                do
                {
                    var digits = random.Next(100) switch { < 80 => 7, < 95 => 6, < 98 => 5, _ => 8 };
                    id = random.NextInt64((long)Math.Pow(10, digits - 1), (long)Math.Pow(10, digits)).ToString(CultureInfo.InvariantCulture);
                }
                while (!usedPartnerIds.Add(id));

                partnerIds.Add(id);
                var name = $"{Pick(random, Surnames)} {Pick(random, PartnerWords)}" + (random.Next(3) == 0 ? "" : " " + Pick(random, Suffixes));
                var tenants = string.Join(';', Enumerable.Range(0, random.Next(10) < 8 ? 1 : 2).Select(_ => NewGuid(random).ToString("D")));
                WriteRow(writer, id, name, tenants, Pick(random, Countries));
            }
        }

        var usedDomains = new HashSet<string>(StringComparer.Ordinal);
        using (var writer = NewWriter(subscriptionsPath))
        {
            writer.Write("subscription_id,customer_name,customer_tenant_id,customer_domain,program,product,por_partner_id,por_since\n");
            var written = 0;
            while (written < subscriptions)
            {
                var name = CompanyName(random);
                var tenant = NewGuid(random).ToString("D");
                var domain = random.Next(100) < 3 ? "" : UniqueDomain(random, name, usedDomains);
                var count = Math.Min(subscriptions - written, random.Next(100) switch { < 35 => 1, < 60 => 2, < 78 => 3, < 90 => 4, _ => 5 });
                // Customers tend to stay with one partner across their subscriptions.
                var mainPartner = partnerIds[(int)(partnerIds.Count * Math.Pow(random.NextDouble(), 2))];
                for (var i = 0; i < count; i++)
                {
                    var hasPor = random.Next(100) >= 10;
                    var partner = random.Next(100) < 80 ? mainPartner : partnerIds[random.Next(partnerIds.Count)];
                    var since = new DateOnly(2015, 1, 1).AddDays(random.Next(4200));
                    WriteRow(writer, NewGuid(random).ToString("D"), name, tenant, domain, Weighted(random, ProgramMix), Weighted(random, ProductMix),
                        hasPor ? partner : "", hasPor ? since.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "");
                    written++;
                }
            }
        }

        return (partnersPath, subscriptionsPath);
    }

    private static string CompanyName(Random random) => random.Next(100) switch
    {
        < 22 => $"{Pick(random, Surnames)} {Pick(random, Industries)} {Pick(random, Suffixes)}",
        < 40 => $"{Pick(random, Adjectives)} {Pick(random, Nouns)} {Pick(random, Industries)}",
        < 55 => $"{Pick(random, Places)} {Pick(random, Industries)} {Pick(random, Suffixes)}",
        < 68 => $"{Pick(random, Adjectives)} {Pick(random, Nouns)} {Pick(random, Suffixes)}",
        < 78 => $"{Pick(random, Surnames)} & {Pick(random, Surnames)} {Pick(random, Industries)}",
        < 85 => $"{Pick(random, Surnames)}, {Pick(random, Surnames)} & Co",
        < 93 => $"{Pick(random, Nouns)}{Pick(random, Nouns).ToLowerInvariant()} {Pick(random, Industries)}",
        _ => $"{Pick(random, Places)} {Pick(random, Nouns)} {Pick(random, Industries)} {Pick(random, Suffixes)}",
    };

    private static string UniqueDomain(Random random, string name, HashSet<string> used)
    {
        var words = Lookups.NameText.Tokens(name).Where(w => w is not ("co" or "ltd" or "pty" or "inc" or "llc" or "gmbh" or "ag" or "sa" or "bv" or "limited"))
            .Select(w => new string(w.Where(char.IsAsciiLetterOrDigit).ToArray())).Where(w => w.Length > 0).Take(2).ToList();
        var stem = string.Join(random.Next(4) == 0 ? "-" : "", words);
        var tld = Pick(random, TopLevelDomains);
        var domain = stem + tld;
        for (var n = 2; !used.Add(domain); n++) domain = stem + n.ToString(CultureInfo.InvariantCulture) + tld;
        return domain;
    }

    private static Guid NewGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    private static string Weighted(Random random, (string Value, int Weight)[] mix)
    {
        var roll = random.Next(mix.Sum(m => m.Weight));
        foreach (var (value, weight) in mix)
        {
            if ((roll -= weight) < 0) return value;
        }

        return mix[^1].Value;
    }

    private static StreamWriter NewWriter(string path) => new(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16);

    private static void WriteRow(StreamWriter writer, params string[] fields)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0) writer.Write(',');
            var field = fields[i];
            if (field.AsSpan().IndexOfAny(",\"\r\n") >= 0) writer.Write("\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"");
            else writer.Write(field);
        }

        writer.Write('\n');
    }
}
