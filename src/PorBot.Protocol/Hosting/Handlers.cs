using PorBot.Protocol.Activities;

namespace PorBot.Protocol.Hosting;

/// <summary>Handles one kind of activity or one command. Resolved from the request scope per turn.</summary>
public interface ITurnHandler
{
    Task HandleAsync(TurnContext turn, CancellationToken cancellationToken);
}

/// <summary>Handles one invoke name; its answer becomes the HTTP response of the same request.</summary>
public interface IInvokeHandler
{
    Task<InvokeResponse> HandleAsync(TurnContext turn, CancellationToken cancellationToken);
}

/// <summary>
/// Handles one <c>Action.Execute</c> verb of <c>adaptiveCard/action</c> invokes. The request is already checked
/// (an action of type Action.Execute with a verb); its data is untrusted: anyone who sees the card can click.
/// </summary>
public interface ICardActionHandler
{
    Task<InvokeResponse> HandleAsync(TurnContext turn, CardActionRequest action, CancellationToken cancellationToken);
}

/// <summary>
/// Runs around every turn, in registration order (e.g. capturing conversation references). Call
/// <c>next</c> to continue; not calling it ends the turn.
/// </summary>
public interface ITurnMiddleware
{
    Task InvokeAsync(TurnContext turn, Func<Task> next, CancellationToken cancellationToken);
}
