using System.Text.Json;
using PorBot.Protocol.Activities;

namespace PorBot.Protocol.Hosting;

/// <summary>An <c>Action.Execute</c> click (or automatic refresh) as its handler sees it.</summary>
/// <param name="Verb">The action's verb, which chose the handler.</param>
/// <param name="Data">The action's data merged with the card's input values; untrusted.</param>
/// <param name="Trigger"><c>manual</c> for a click, <c>automatic</c> for a refresh.</param>
/// <param name="ActionId">The action's <c>id</c>, when the card gave it one.</param>
public sealed record CardActionRequest(string Verb, JsonElement? Data, string? Trigger, string? ActionId)
{
    public const string InvokeName = "adaptiveCard/action";
    public const string ExecuteActionType = "Action.Execute";

    public bool IsAutomaticRefresh => string.Equals(Trigger, "automatic", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads the invoke's value; a malformed one gets the SDK's HTTP 400 error body in <paramref name="rejection"/>.</summary>
    public static bool TryParse(JsonElement? value, out CardActionRequest? request, out InvokeResponse? rejection)
    {
        request = null;
        rejection = null;
        AdaptiveCardInvokeValue? parsed;
        try
        {
            parsed = value.ToObject<AdaptiveCardInvokeValue>();
        }
        catch (JsonException)
        {
            parsed = null;
        }

        if (parsed is null)
        {
            rejection = InvokeResponse.BadRequest("The adaptiveCard/action invoke has no readable value.");
            return false;
        }

        if (parsed.Action is not { } action)
        {
            rejection = InvokeResponse.BadRequest("The adaptiveCard/action invoke has no action.");
            return false;
        }

        if (!string.Equals(action.Type, ExecuteActionType, StringComparison.Ordinal))
        {
            rejection = InvokeResponse.NotSupported($"The action type must be {ExecuteActionType}.");
            return false;
        }

        if (string.IsNullOrWhiteSpace(action.Verb))
        {
            rejection = InvokeResponse.BadRequest("The Action.Execute has no verb.");
            return false;
        }

        request = new CardActionRequest(action.Verb, action.Data, parsed.Trigger, action.Id);
        return true;
    }
}
