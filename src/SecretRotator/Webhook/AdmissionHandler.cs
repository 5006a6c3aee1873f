using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SecretRotator.Telemetry;

namespace SecretRotator.Webhook;

public enum AdmissionKind
{
    Pod,
    ServiceAccount,
}

/// <summary>
/// One AdmissionReview in, one out, always 200 and always allowed: a webhook in the path of every pod must never be the
/// reason a pod is refused. A failure (unreadable review, API error, no credential, time budget spent) answers without a
/// patch, and is logged and counted in secret_rotator_admission_duration_seconds{outcome}.
/// </summary>
public sealed partial class AdmissionHandler(AdmissionMutator mutator, RotatorMetrics metrics, TimeProvider time, ILogger<AdmissionHandler> logger)
{
    /// <summary>Below the chart's timeoutSeconds (5): the API server then gets our "allowed" rather than its own timeout.</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromSeconds(3);

    public async Task HandleAsync(HttpContext context, AdmissionKind kind)
    {
        var started = time.GetTimestamp();
        var (review, mutation) = await DecideAsync(context.Request.Body, kind, context.RequestAborted);
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, review, AdmissionJson.Default.AdmissionReview, context.RequestAborted);
        metrics.AdmissionReview(mutation.Outcome, time.GetElapsedTime(started));
    }

    /// <summary>The answer for one request body: the review to send back and what was decided.</summary>
    public async Task<(AdmissionReview Review, Mutation Mutation)> DecideAsync(Stream body, AdmissionKind kind, CancellationToken aborted)
    {
        AdmissionReview? review = null;
        try
        {
            review = await JsonSerializer.DeserializeAsync(body, AdmissionJson.Default.AdmissionReview, aborted);
        }
        catch (JsonException e)
        {
            LogInvalid(logger, e.Message);
        }
        if (review?.Request is not { } request)
        {
            if (review is not null) LogInvalid(logger, "no request");
            return (Answer(review, "", null), new Mutation(AdmissionOutcomes.Invalid));
        }

        Mutation mutation;
        using var budget = new CancellationTokenSource(Budget, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(budget.Token, aborted);
        try
        {
            mutation = kind == AdmissionKind.Pod
                ? await mutator.PodAsync(request, linked.Token)
                : await mutator.ServiceAccountAsync(request, linked.Token);
        }
        catch (JsonException e)
        {
            LogInvalid(logger, e.Message);
            mutation = new Mutation(AdmissionOutcomes.Invalid);
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested || aborted.IsCancellationRequested)
        {
            mutation = new Mutation(AdmissionOutcomes.Failed, Error: $"not done within {Budget.TotalSeconds:0.#} s");
        }
        catch (Exception e)
        {
            // Never deny and never fail the request: the object goes in unchanged, and the failure is logged and counted.
            var (reason, message) = Kubernetes.KubernetesErrors.Describe(e, "ensure", "secrets", request.Namespace);
            mutation = new Mutation(AdmissionOutcomes.Failed, Error: $"{reason}: {message}");
        }
        if (mutation.Outcome == AdmissionOutcomes.Failed) LogFailed(logger, kind.ToString(), request.Namespace ?? "", request.Uid ?? "", mutation.Error ?? "");
        else if (mutation.Patch is not null) LogPatched(logger, kind.ToString(), request.Namespace ?? "", mutation.Outcome);
        return (Answer(review, request.Uid ?? "", mutation.Outcome == AdmissionOutcomes.Failed ? null : mutation.Patch), mutation);
    }

    private static AdmissionReview Answer(AdmissionReview? review, string uid, byte[]? patch) => new()
    {
        ApiVersion = review?.ApiVersion ?? AdmissionReview.ApiVersionV1,
        Kind = "AdmissionReview",
        Response = new AdmissionResponse { Uid = uid, Allowed = true, PatchType = patch is null ? null : "JSONPatch", Patch = patch },
    };

    [LoggerMessage(EventId = 5801, Level = LogLevel.Warning, Message = "Admission of a {Kind} in namespace {Namespace} (uid {Uid}) allowed unchanged: {Error}")]
    private static partial void LogFailed(ILogger logger, string kind, string @namespace, string uid, string error);

    [LoggerMessage(EventId = 5802, Level = LogLevel.Warning, Message = "Unreadable AdmissionReview allowed unchanged: {Error}")]
    private static partial void LogInvalid(ILogger logger, string error);

    [LoggerMessage(EventId = 5805, Level = LogLevel.Debug, Message = "Admission of a {Kind} in namespace {Namespace}: {Outcome}")]
    private static partial void LogPatched(ILogger logger, string kind, string @namespace, string outcome);
}
