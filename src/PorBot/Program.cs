using PorBot;
using PorBot.Cli;
using PorBot.Conflicts;
using PorBot.Conversations;
using PorBot.Guidance;
using PorBot.Integrations.Graph;
using PorBot.Lookups;
using PorBot.Protocol.Hosting;
using PorBot.Storage;
using PorBot.Welcome;

if (args is ["import", ..]) return await ImportCommand.RunAsync(args[1..]);
if (args is ["migrate-to-azure", ..]) return await MigrateToAzureCommand.RunAsync(args[1..]);

var builder = WebApplication.CreateBuilder(args);

builder.UseBotFrameworkDefaultPort();
builder.AddLocalModeWarning();
builder.AddPorBotStorage();

builder.Services.AddBot(builder.Configuration)
    .AddConversations()
    .AddGuidance()
    .AddConflicts()
    .AddLookups()
    .AddWelcome();

builder.Services.AddGraphEnrichment(builder.Configuration);
builder.Services.AddHealthChecks();

var app = builder.Build();

await app.InitializeStorageAsync();

app.MapBot("/api/messages");
app.MapClaimsApi();
app.MapHealthChecks("/healthz");

await app.RunAsync();
return 0;
