using Azure;
using Azure.Identity;
using Microsoft.Extensions.Options;

namespace PorBot.Storage.AzureStorage;

/// <summary>Creates PorBot's tables (idempotent, safe from several instances at once) and seeds an empty registry.</summary>
public sealed class AzureStorageInitializer(
    AzureStorageClients clients,
    AzureRegistryWriter writer,
    IOptions<StorageOptions> options,
    TimeProvider time,
    ILogger<AzureStorageInitializer> logger) : IStorageInitializer
{
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await clients.CreateTablesAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RequestFailedException or AuthenticationFailedException or CredentialUnavailableException or HttpRequestException or AggregateException)
        {
            throw new InvalidOperationException(
                $"Could not create PorBot's tables ({clients.Prefix}*) in Azure Storage at {clients.TableEndpoint}: {ex.Message} " +
                "Check ConnectionStrings:AzureStorage, or Storage:Azure:TableServiceUri and that the identity has the 'Storage Table Data Contributor' role.", ex);
        }

        try
        {
            await clients.CreateQueuesAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RequestFailedException or AuthenticationFailedException or CredentialUnavailableException or HttpRequestException or AggregateException)
        {
            throw new InvalidOperationException(
                $"Could not create PorBot's alert queues ({clients.AlertQueue.Name}, {clients.AlertPoisonQueue.Name}) in Azure Storage at {clients.Queues.Uri.GetLeftPart(UriPartial.Path)}: {ex.Message} " +
                "Check ConnectionStrings:AzureStorage, or Storage:Azure:QueueServiceUri and that the identity has the 'Storage Queue Data Contributor' role.", ex);
        }

        logger.LogInformation("Azure Storage tables {Prefix}* ready at {Endpoint}", clients.Prefix, clients.TableEndpoint);
        if (!options.Value.SeedSampleData || !await writer.IsEmptyAsync(cancellationToken)) return;

        var now = time.GetUtcNow();
        var partners = SampleRegistry.Partners(now);
        var customers = SampleRegistry.Customers(now);
        await writer.WritePartnersAsync(partners, cancellationToken);
        await writer.WriteCustomersAsync(customers, cancellationToken);
        await writer.BumpNamesVersionAsync(cancellationToken);
        logger.LogInformation("Seeded sample data into Azure Storage: {Partners} partners, {Subscriptions} subscriptions",
            partners.Count, customers.Sum(c => c.Subscriptions.Count));
    }
}
