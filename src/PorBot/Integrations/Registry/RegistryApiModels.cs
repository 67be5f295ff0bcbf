using System.Text.Json;
using System.Text.Json.Serialization;

namespace PorBot.Integrations.Registry;

// The wire shapes of docs/registry-api.md. Kept apart from the domain records so the contract can be
// read (and versioned) on its own, and so a payload that breaks it fails in one place with a clear message.

internal sealed class SubscriptionDto
{
    public required Guid SubscriptionId { get; set; }
    public required string CustomerName { get; set; }
    public required Guid CustomerTenantId { get; set; }
    public string? CustomerDomain { get; set; }
    public required string Program { get; set; }
    public required string Product { get; set; }
    public string? PorPartnerId { get; set; }
    public string? PorPartnerName { get; set; }
    public DateOnly? PorSince { get; set; }
    public required DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class PartnerDto
{
    public required string PartnerId { get; set; }
    public required string Name { get; set; }
    public string? Country { get; set; }
    public List<Guid>? TenantIds { get; set; }
    public required DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class CustomerMatchDto
{
    public required string CustomerName { get; set; }
    public required Guid CustomerTenantId { get; set; }
    public string? CustomerDomain { get; set; }
    public required int SubscriptionCount { get; set; }
    public required double Score { get; set; }
}

internal sealed class ItemsDto<T>
{
    public required List<T> Items { get; set; }
}

internal sealed class PorChangeDto
{
    public string? PartnerId { get; set; }
    public required DateOnly EffectiveFrom { get; set; }
    public required string Reason { get; set; }
}

/// <summary>RFC 9457 problem details, as the registry reports errors.</summary>
internal sealed class ProblemDto
{
    public string? Title { get; set; }
    public string? Detail { get; set; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SubscriptionDto))]
[JsonSerializable(typeof(PartnerDto))]
[JsonSerializable(typeof(ItemsDto<SubscriptionDto>))]
[JsonSerializable(typeof(ItemsDto<PartnerDto>))]
[JsonSerializable(typeof(ItemsDto<CustomerMatchDto>))]
[JsonSerializable(typeof(PorChangeDto))]
[JsonSerializable(typeof(ProblemDto))]
internal sealed partial class RegistryApiJson : JsonSerializerContext;
