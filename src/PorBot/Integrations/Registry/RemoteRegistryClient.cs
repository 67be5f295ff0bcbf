using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;
using PorBot.Lookups;

namespace PorBot.Integrations.Registry;

/// <summary>
/// <see cref="IPorRegistry"/> over the REST contract in docs/registry-api.md. The named HttpClient
/// <see cref="HttpClientName"/> carries base address, API key and the resilience pipeline (attempt
/// timeout, retries, circuit breaker); this class maps answers to records and every way the service
/// can fail to <see cref="RegistryUnavailableException"/>.
/// </summary>
public sealed class RemoteRegistryClient(
    IHttpClientFactory httpClientFactory,
    IOptions<RegistryOptions> options,
    TimeProvider time,
    ILogger<RemoteRegistryClient> logger) : IPorRegistry
{
    public const string HttpClientName = "PorBot.Registry";

    private readonly string _source = "registry:" + options.Value.GetBaseUri().Host;

    public async Task<SubscriptionRecord?> GetSubscriptionAsync(Guid subscriptionId, CancellationToken cancellationToken)
    {
        var dto = await GetAsync($"subscriptions/{subscriptionId:D}", RegistryApiJson.Default.SubscriptionDto, notFoundIsNull: true, cancellationToken);
        return dto is null ? null : ToRecord(dto);
    }

    public Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByTenantAsync(Guid customerTenantId, CancellationToken cancellationToken) =>
        GetSubscriptionListAsync($"subscriptions?tenantId={customerTenantId:D}", cancellationToken);

    public Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByDomainAsync(string domain, CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(domain)
            ? Task.FromResult<IReadOnlyList<SubscriptionRecord>>([])
            : GetSubscriptionListAsync($"subscriptions?domain={Escape(domain.Trim())}", cancellationToken);

    public async Task<IReadOnlyList<CustomerMatch>> SearchCustomersAsync(string query, int limit, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(query) || limit <= 0) return [];
        var page = await GetAsync($"customers?search={Escape(query.Trim())}&limit={limit.ToString(CultureInfo.InvariantCulture)}",
            RegistryApiJson.Default.ItemsDtoCustomerMatchDto, notFoundIsNull: false, cancellationToken);
        return [.. page!.Items.Take(limit).Select(m =>
            new CustomerMatch(m.CustomerName, m.CustomerTenantId, m.CustomerDomain, m.SubscriptionCount, m.Score))];
    }

    public async Task<PartnerRecord?> GetPartnerAsync(string partnerId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(partnerId)) return null;
        var dto = await GetAsync($"partners/{Escape(partnerId.Trim())}", RegistryApiJson.Default.PartnerDto, notFoundIsNull: true, cancellationToken);
        return dto is null ? null : ToRecord(dto);
    }

    public async Task<PartnerRecord?> GetPartnerByTenantAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var page = await GetAsync($"partners?tenantId={tenantId:D}", RegistryApiJson.Default.ItemsDtoPartnerDto, notFoundIsNull: false, cancellationToken);
        return page!.Items.Count == 0 ? null : ToRecord(page.Items[0]);
    }

    public async Task<IReadOnlyList<PartnerRecord>> SearchPartnersAsync(string query, int limit, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(query) || limit <= 0) return [];
        var page = await GetAsync($"partners?search={Escape(query.Trim())}&limit={limit.ToString(CultureInfo.InvariantCulture)}",
            RegistryApiJson.Default.ItemsDtoPartnerDto, notFoundIsNull: false, cancellationToken);
        return [.. page!.Items.Take(limit).Select(ToRecord)];
    }

    public async Task RecordPorChangeAsync(PorChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var path = $"subscriptions/{change.SubscriptionId:D}/por";
        var body = new PorChangeDto { PartnerId = change.NewPorPartnerId, EffectiveFrom = change.EffectiveFrom, Reason = change.Reason };
        using var request = new HttpRequestMessage(HttpMethod.Put, path)
        {
            Content = JsonContent.Create(body, RegistryApiJson.Default.PorChangeDto),
        };
        using var response = await SendAsync(request, cancellationToken);
        switch (response.StatusCode)
        {
            case HttpStatusCode.NotFound:
                throw new KeyNotFoundException($"Subscription {change.SubscriptionId} is not in the registry.");
            case HttpStatusCode.BadRequest or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity:
                throw new RegistryChangeRejectedException(
                    $"The registry refused the POR change for subscription {change.SubscriptionId}: {await ReadProblemAsync(response, cancellationToken)}");
        }

        await EnsureSuccessAsync(request, response, cancellationToken);
    }

    private async Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionListAsync(string path, CancellationToken cancellationToken)
    {
        var page = await GetAsync(path, RegistryApiJson.Default.ItemsDtoSubscriptionDto, notFoundIsNull: false, cancellationToken);
        return [.. page!.Items.Select(ToRecord)];
    }

    private async Task<T?> GetAsync<T>(string path, JsonTypeInfo<T> typeInfo, bool notFoundIsNull, CancellationToken cancellationToken)
        where T : class
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await SendAsync(request, cancellationToken);
        if (notFoundIsNull && response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureSuccessAsync(request, response, cancellationToken);
        try
        {
            return await response.Content.ReadFromJsonAsync(typeInfo, cancellationToken)
                ?? throw new JsonException("The body was JSON null.");
        }
        catch (JsonException ex)
        {
            throw Unavailable(request, $"answered with a body that does not follow the registry contract ({ex.Message})", response.StatusCode, ex);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var client = httpClientFactory.CreateClient(HttpClientName);
        try
        {
            return await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (BrokenCircuitException ex)
        {
            throw Unavailable(request, "is not being called for now: too many recent calls failed (circuit open)", null, ex, circuitOpen: true);
        }
        catch (TimeoutRejectedException ex)
        {
            throw Unavailable(request, $"did not answer within {options.Value.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s, {options.Value.MaxRetries + 1} attempt(s)", null, ex);
        }
        catch (HttpRequestException ex)
        {
            throw Unavailable(request, $"could not be reached ({ex.Message})", null, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unavailable(request, "did not answer in time", null, ex);
        }
    }

    private async Task EnsureSuccessAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var code = (int)response.StatusCode;
        var problem = await ReadProblemAsync(response, cancellationToken);
        var what = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
            ? $"refused PorBot's API key ({code}: {problem}); check Registry:ApiKey"
            : $"answered {code} {response.ReasonPhrase} ({problem})";
        throw Unavailable(request, what, response.StatusCode, null);
    }

    private RegistryUnavailableException Unavailable(HttpRequestMessage request, string what, HttpStatusCode? status, Exception? inner, bool circuitOpen = false)
    {
        var message = $"The registry at {options.Value.GetBaseUri().Authority} {what} for {request.Method} {request.RequestUri}.";
        logger.LogWarning(inner, "{Message}", message);
        return new RegistryUnavailableException(message, status, circuitOpen, inner);
    }

    private static async Task<string> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException)
        {
            return "no body";
        }

        if (string.IsNullOrWhiteSpace(text)) return "no body";
        try
        {
            var problem = JsonSerializer.Deserialize(text, RegistryApiJson.Default.ProblemDto);
            if (problem?.Detail is { Length: > 0 } detail) return detail;
            if (problem?.Title is { Length: > 0 } title) return title;
        }
        catch (JsonException)
        {
            // Not problem details: show the start of whatever it is.
        }

        return text.Length <= 200 ? text : text[..200] + "…";
    }

    private SubscriptionRecord ToRecord(SubscriptionDto dto) => new(
        dto.SubscriptionId,
        dto.CustomerName,
        dto.CustomerTenantId,
        dto.CustomerDomain,
        ParseEnum<PurchaseProgram>(dto.Program, "program"),
        ParseEnum<Product>(dto.Product, "product"),
        string.IsNullOrEmpty(dto.PorPartnerId) ? null : dto.PorPartnerId,
        dto.PorPartnerName,
        dto.PorSince,
        new Provenance(_source, dto.UpdatedAt, time.GetUtcNow()));

    private PartnerRecord ToRecord(PartnerDto dto) =>
        new(dto.PartnerId, dto.Name, dto.Country, dto.TenantIds ?? [], new Provenance(_source, dto.UpdatedAt, time.GetUtcNow()));

    private TEnum ParseEnum<TEnum>(string value, string field) where TEnum : struct, Enum =>
        // Names only: Enum.TryParse would also take "3", which is no program or product in the contract.
        value is { Length: > 0 } && char.IsLetter(value[0]) && Enum.TryParse<TEnum>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new RegistryUnavailableException(
                $"The registry at {options.Value.GetBaseUri().Authority} sent {field} '{value}', which PorBot does not know " +
                $"(expected one of {string.Join(", ", Enum.GetNames<TEnum>())}).");

    private static string Escape(string value) => Uri.EscapeDataString(value);
}
