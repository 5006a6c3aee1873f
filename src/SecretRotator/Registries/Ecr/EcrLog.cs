using Microsoft.Extensions.Logging;

namespace SecretRotator.Registries.Ecr;

/// <summary>ECR log events, ids 2000-2099. Never pass a token, password or key to these.</summary>
internal static partial class EcrLog
{
    [LoggerMessage(2000, LogLevel.Debug, "Requesting {Service} authorization token for registry {Registry} from {Endpoint} (signing region {Region})")]
    public static partial void Requesting(ILogger logger, string service, string registry, Uri endpoint, string region);

    [LoggerMessage(2001, LogLevel.Information, "Registry {Registry}: {Service} token for {HostCount} host(s) expires at {ExpiresAt:O} (fetched in {ElapsedMs} ms)")]
    public static partial void Fetched(ILogger logger, string registry, string service, int hostCount, DateTimeOffset expiresAt, long elapsedMs);

    [LoggerMessage(2002, LogLevel.Warning, "Registry {Registry}: {Service} answered {Status} {Code}; retry {Attempt} in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string registry, string service, int status, string code, int attempt, long delayMs);

    [LoggerMessage(2003, LogLevel.Warning, "Registry {Registry}: {Service} request failed with {Status} {Code} (reason {Reason})")]
    public static partial void Failed(ILogger logger, string registry, string service, int status, string code, string reason);

    [LoggerMessage(2004, LogLevel.Debug, "Registry {Registry}: using role {RoleArn} (session {SessionName}) on top of the default AWS credential chain")]
    public static partial void AssumingRole(ILogger logger, string registry, string roleArn, string sessionName);

    [LoggerMessage(2005, LogLevel.Warning, "Registry {Registry}: {Service} request failed to connect ({Error}); retry {Attempt} in {DelayMs} ms")]
    public static partial void RetryingTransport(ILogger logger, string registry, string service, string error, int attempt, long delayMs);

    [LoggerMessage(2006, LogLevel.Warning, "The {Endpoint} refused the credentials request: HTTP {Status} {Code} (reason {Reason})")]
    public static partial void ContainerCredentialsRefused(ILogger logger, string endpoint, int status, string code, string reason);

    [LoggerMessage(2007, LogLevel.Warning, "The {Endpoint} failed ({Failure}); retry {Attempt} in {DelayMs} ms")]
    public static partial void ContainerCredentialsRetrying(ILogger logger, string endpoint, string failure, int attempt, long delayMs);
}
