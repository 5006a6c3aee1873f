using System.Net;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.Retry;
using SecretRotator.Networking;

namespace SecretRotator.Tests.Networking;

/// <summary>The one retry convention of the credential endpoints: which answers are retried, and how long a Retry-After may hold a fetch.</summary>
public sealed class HttpRetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ValueTask NoLog(OnRetryArguments<HttpResponseMessage> args) => ValueTask.CompletedTask;

    [Theory]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task Pipeline_TransientStatus_IsRetriedUpToTheLimit(HttpStatusCode status)
    {
        // Arrange
        var pipeline = HttpRetry.Pipeline(TimeProvider.System, retries: 2, TimeSpan.Zero, NoLog);
        var tries = 0;

        // Act
        using var response = await pipeline.ExecuteAsync(_ => { tries++; return ValueTask.FromResult(new HttpResponseMessage(status)); }, Ct);

        // Assert
        Assert.Equal(3, tries);
        Assert.Equal(status, response.StatusCode);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    public async Task Pipeline_ClientError_IsAnAnswerNotRetried(HttpStatusCode status)
    {
        var pipeline = HttpRetry.Pipeline(TimeProvider.System, retries: 2, TimeSpan.Zero, NoLog);
        var tries = 0;

        using var response = await pipeline.ExecuteAsync(_ => { tries++; return ValueTask.FromResult(new HttpResponseMessage(status)); }, Ct);

        Assert.Equal(1, tries);
    }

    [Fact]
    public async Task Pipeline_TransportFailure_IsRetried()
    {
        var pipeline = HttpRetry.Pipeline(TimeProvider.System, retries: 1, TimeSpan.Zero, NoLog);
        var tries = 0;

        using var response = await pipeline.ExecuteAsync(_ => ++tries == 1
            ? throw new HttpRequestException("connection refused")
            : ValueTask.FromResult(new HttpResponseMessage(HttpStatusCode.OK)), Ct);

        Assert.Equal(2, tries);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Pipeline_DomainPredicate_ReplacesTheTransientOne()
    {
        // ECR's rule: a 400 whose body says ThrottlingException is worth another try.
        var pipeline = HttpRetry.Pipeline(TimeProvider.System, retries: 1, TimeSpan.Zero, NoLog,
            args => ValueTask.FromResult(args.Outcome.Result?.StatusCode == HttpStatusCode.BadRequest));
        var tries = 0;

        using var response = await pipeline.ExecuteAsync(_ => ValueTask.FromResult(new HttpResponseMessage(++tries == 1 ? HttpStatusCode.BadRequest : HttpStatusCode.OK)), Ct);

        Assert.Equal(2, tries);
    }

    [Fact]
    public async Task Pipeline_RetryAfterAnHour_WaitsOnlyTheCap()
    {
        // Arrange: the first answer asks for an hour; the backoff alone (zero) would retry at once.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var pipeline = HttpRetry.Pipeline(time, retries: 1, TimeSpan.Zero, NoLog);
        var tries = 0;
        HttpResponseMessage Answer()
        {
            if (++tries > 1) return new HttpResponseMessage(HttpStatusCode.OK);
            var throttled = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
            throttled.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromHours(1));
            return throttled;
        }

        // Act
        var call = pipeline.ExecuteAsync(_ => ValueTask.FromResult(Answer()), Ct).AsTask();
        time.Advance(HttpRetry.MaxRetryAfter - TimeSpan.FromSeconds(1));
        var beforeCap = tries;
        time.Advance(TimeSpan.FromSeconds(1));
        using var response = await call.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        // Assert: Retry-After was honoured (no second try before the cap), and cut to the cap.
        Assert.Equal(1, beforeCap);
        Assert.Equal(2, tries);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
