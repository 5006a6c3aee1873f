using Microsoft.Extensions.Logging;

namespace SecretRotator.CredentialProvider;

/// <summary>credential-provider events, ids 6400-6409. Off unless Logging__LogLevel__Default asks: kubelet wants one stderr line on failure.</summary>
internal static partial class CredentialProviderLog
{
    [LoggerMessage(6400, LogLevel.Debug, "Image {Image}: served by registries {Registries} (token mode: {TokenMode})")]
    public static partial void Matched(ILogger logger, string image, string registries, bool tokenMode);

    [LoggerMessage(6401, LogLevel.Information, "Image {Image}: {Count} auth entries, cacheKeyType {CacheKeyType}, cacheDuration {CacheDuration}")]
    public static partial void Answered(ILogger logger, string image, int count, string cacheKeyType, string cacheDuration);
}
