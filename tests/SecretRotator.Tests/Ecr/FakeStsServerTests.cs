using System.Net.Http;
using SecretRotator.Tests.Fakes.Ecr;

namespace SecretRotator.Tests.Ecr;

/// <summary>The STS fake keeps tests of one collection apart: a hung run's late retry does not reach the next test.</summary>
public sealed class FakeStsServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Handle_RetryOfARunHeldByAnEarlierHold_NeitherHeldNorJournaled()
    {
        // Arrange: an earlier test's run hangs on STS, then that test releases its hold and ends.
        await using var sts = await FakeStsServer.StartAsync(new AwsTestKeys());
        // Bounded: with the old fake the late request would be held until released.
        using var http = new HttpClient { BaseAddress = sts.Address, Timeout = TimeSpan.FromSeconds(10) };
        sts.Hold.Enable();
        var hung = SendAsync(http, "projected-earlier");
        await sts.Hold.Held.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        sts.Hold.Release();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => hung);
        sts.Clear();
        sts.ExpectedWebIdentityToken = "projected-next";
        sts.Hold.Enable(); // the next test holds STS too

        // Act: the earlier run's SDK retries now.
        var late = await Record.ExceptionAsync(() => SendAsync(http, "projected-earlier"));

        // Assert
        Assert.IsType<HttpRequestException>(late);
        Assert.False(sts.Hold.Held.IsCompleted);
        Assert.Empty(sts.Requests);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string token) =>
        await http.PostAsync("/", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Action"] = "AssumeRoleWithWebIdentity",
            ["RoleArn"] = "arn:aws:iam::111122223333:role/rotator-irsa",
            ["WebIdentityToken"] = token,
            ["RoleSessionName"] = "s",
        }), Ct);
}
