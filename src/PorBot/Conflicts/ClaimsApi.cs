using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using PorBot.Integrations.Registry;

namespace PorBot.Conflicts;

/// <summary>
/// <c>POST /api/claims</c> and <c>POST /api/claims/{id}/resolution</c> for backend systems, behind
/// <c>Authorization: Bearer &lt;Claims:ApiKeys key&gt;</c>.
/// </summary>
public static class ClaimsApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int MaxBodyBytes = 64 * 1024;
    public const int MaxIdempotencyKeyLength = 200;

    public static IEndpointRouteBuilder MapClaimsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/claims", PostClaimAsync);
        app.MapPost("/api/claims/{id}/resolution", PostResolutionAsync);
        return app;
    }

    private static async Task<IResult> PostClaimAsync(HttpContext http, ClaimService claims, ApiKeyCheck keys, CancellationToken cancellationToken)
    {
        if (keys.Authenticate(http.Request) is not { } keyName) return Unauthorized(http);

        var problems = new List<string>();
        string? idempotencyKey = null;
        if (http.Request.Headers.TryGetValue(IdempotencyKeyHeader, out var header))
        {
            var value = header.ToString().Trim();
            if (value.Length is 0 or > MaxIdempotencyKeyLength || value.Any(char.IsControl))
            {
                problems.Add($"The {IdempotencyKeyHeader} header must be 1 to {MaxIdempotencyKeyLength} printable characters.");
            }
            else
            {
                // Scoped by key name, so two backends choosing the same key never see each other's claims.
                idempotencyKey = $"api:{keyName}:{value}";
            }
        }

        var (body, bodyProblem) = await ReadJsonAsync(http.Request, cancellationToken);
        if (bodyProblem is not null) return bodyProblem;

        var subscriptionId = Guid.Empty;
        string? partnerId = null, source = null, note = null;
        if (body is not { ValueKind: JsonValueKind.Object } json)
        {
            problems.Add("The body must be a JSON object: {\"subscriptionId\", \"claimantPartnerId\", \"source\", \"note\"}.");
        }
        else
        {
            var subscriptionText = ReadString(json, "subscriptionId", problems, required: true);
            if (subscriptionText is not null && !Guid.TryParse(subscriptionText, out subscriptionId))
            {
                problems.Add("subscriptionId must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).");
            }

            partnerId = ReadString(json, "claimantPartnerId", problems, required: true, numberAllowed: true)?.Trim();
            if (partnerId is not null && !ClaimService.IsPartnerId(partnerId)) problems.Add("claimantPartnerId must be a partner ID of 5 to 8 digits.");
            source = ReadString(json, "source", problems, required: false);
            if (source is { Length: > ClaimService.MaxSourceSystemLength }) problems.Add($"source must be at most {ClaimService.MaxSourceSystemLength} characters.");
            note = ReadString(json, "note", problems, required: false);
            if (note is { Length: > ClaimService.MaxNoteLength }) problems.Add($"note must be at most {ClaimService.MaxNoteLength} characters.");
        }

        if (problems.Count > 0) return BadRequest(problems);

        try
        {
            var result = await claims.ClaimAsync(
                new ClaimRequest(subscriptionId, partnerId!, ClaimSources.Api(keyName), source, note, idempotencyKey), cancellationToken);
            if (result.Replayed) http.Response.Headers["Idempotent-Replayed"] = "true";
            return Results.Json(new ClaimResponse(result.ClaimId, result.Outcome.ToString(), result.ConflictId), statusCode: StatusCodes.Status202Accepted);
        }
        catch (ClaimValidationException e)
        {
            return BadRequest(e.Problems);
        }
        catch (IdempotencyKeyReusedException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused");
        }
        catch (RegistryUnavailableException)
        {
            return Results.Problem("The POR registry is not answering; nothing was recorded. Try again later.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static async Task<IResult> PostResolutionAsync(string id, HttpContext http, ClaimService claims, ApiKeyCheck keys, CancellationToken cancellationToken)
    {
        if (keys.Authenticate(http.Request) is not { } keyName) return Unauthorized(http);
        if (!Guid.TryParse(id, out var conflictOrClaimId)) return Results.Problem("The id in the path must be a conflict or claim id (a GUID).", statusCode: StatusCodes.Status404NotFound);

        var (body, bodyProblem) = await ReadJsonAsync(http.Request, cancellationToken);
        if (bodyProblem is not null) return bodyProblem;
        var problems = new List<string>();
        string? winner = null;
        if (body is not { ValueKind: JsonValueKind.Object } json) problems.Add("The body must be a JSON object: {\"winnerPartnerId\"}.");
        else
        {
            winner = ReadString(json, "winnerPartnerId", problems, required: true, numberAllowed: true)?.Trim();
            if (winner is not null && !ClaimService.IsPartnerId(winner)) problems.Add("winnerPartnerId must be a partner ID of 5 to 8 digits.");
        }

        if (problems.Count > 0) return BadRequest(problems);

        try
        {
            var decision = await claims.RecordDecisionAsync(conflictOrClaimId, winner!, ClaimSources.Api(keyName), cancellationToken);
            return decision.Conflict is { } state ? Results.Json(ConflictResponse.From(state)) : Results.Json(PendingClaimResponse.From(decision.Claim!));
        }
        catch (ConflictNotFoundException e)
        {
            return Results.Problem(e.Message + " Give the id of a conflict, of a claim in one, or of a pending claim.", statusCode: StatusCodes.Status404NotFound);
        }
        catch (ConflictAlreadyResolvedException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status409Conflict, title: "Already resolved",
                extensions: new Dictionary<string, object?> { ["conflict"] = ConflictResponse.From(e.State) });
        }
        catch (ClaimNotPendingException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status409Conflict, title: "The claim is not waiting for a decision",
                extensions: e.State is null ? null : new Dictionary<string, object?> { ["claim"] = PendingClaimResponse.From(e.State) });
        }
        catch (ClaimValidationException e)
        {
            return BadRequest(e.Problems);
        }
        catch (RegistryUnavailableException)
        {
            return Results.Problem("The decision is recorded, but the POR registry is not answering; repeat the same request to finish updating it.",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static IResult Unauthorized(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.StatusCode(StatusCodes.Status401Unauthorized);
    }

    private static IResult BadRequest(IReadOnlyList<string> problems) =>
        Results.Problem(
            problems.Count == 1 ? problems[0] : $"{problems.Count} problems: {string.Join(" ", problems)}",
            statusCode: StatusCodes.Status400BadRequest,
            title: "The claim cannot be recorded as sent",
            extensions: new Dictionary<string, object?> { ["errors"] = problems });

    private static async Task<(JsonElement? Body, IResult? Problem)> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes) return (null, Results.StatusCode(StatusCodes.Status413PayloadTooLarge));
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes) return (null, Results.StatusCode(StatusCodes.Status413PayloadTooLarge));
        }

        if (buffer.Length == 0) return (null, BadRequest(["The body is empty: send a JSON object."]));
        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray());
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return (null, BadRequest([$"The body is not valid JSON ({e.Message})."]));
        }
    }

    private static string? ReadString(JsonElement json, string name, List<string> problems, bool required, bool numberAllowed = false)
    {
        JsonElement value = default;
        var found = false;
        foreach (var property in json.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase)) { value = property.Value; found = true; }
        }

        if (!found || value.ValueKind == JsonValueKind.Null || (value.ValueKind == JsonValueKind.String && value.GetString()!.Trim().Length == 0))
        {
            if (required) problems.Add($"{name} is missing.");
            return null;
        }

        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        if (numberAllowed && value.ValueKind == JsonValueKind.Number) return value.GetRawText();
        problems.Add($"{name} must be a string.");
        return null;
    }

    private sealed record ClaimResponse(Guid ClaimId, string Outcome, Guid? ConflictId);
}

public sealed record ConflictResponse(Guid ConflictId, Guid SubscriptionId, string CurrentPorPartnerId, string Status, string? WinnerPartnerId, int Version,
    IReadOnlyList<ConflictResponse.Claimant> Claimants)
{
    public static ConflictResponse From(ConflictState state) => new(state.ConflictId, state.SubscriptionId, state.CurrentPorPartnerId, state.Status.ToString(),
        state.WinnerPartnerId, state.Version, state.Claimants.Select(c => new Claimant(c.ClaimId, c.PartnerId, c.Status.ToString())).ToList());

    public sealed record Claimant(Guid ClaimId, string PartnerId, string Status);
}

/// <summary>The answer for a pending claim: <c>status</c> Won (the claimant was confirmed) or Lost (another partner was named).</summary>
public sealed record PendingClaimResponse(Guid ClaimId, Guid SubscriptionId, string ClaimantPartnerId, string Outcome, string Status, string PorPartnerId)
{
    public static PendingClaimResponse From(PendingClaimResolution claim) =>
        new(claim.ClaimId, claim.SubscriptionId, claim.ClaimantPartnerId, nameof(ClaimOutcome.Pending), claim.Status.ToString(), claim.PorPartnerId);
}

/// <summary>Checks a bearer key against every configured key in constant time (hashes of equal length, all compared).</summary>
public sealed class ApiKeyCheck(IOptions<ClaimsApiOptions> options)
{
    private readonly (string Name, byte[] Hash)[] _keys = options.Value.ApiKeys.Select(k => (k.Name, Hash(k.Key))).ToArray();

    /// <returns>The name of the matching key, or null.</returns>
    public string? Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return null;
        var presented = Hash(header[scheme.Length..].Trim());

        string? match = null;
        foreach (var (name, hash) in _keys)
        {
            // No early exit: the time taken does not tell which key (or how much of one) matched.
            if (CryptographicOperations.FixedTimeEquals(presented, hash)) match ??= name;
        }

        return match;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
