using SecretRotator.Tests.Fakes.Telemetry;
using Xunit.Sdk;

namespace SecretRotator.Tests.Telemetry;

public sealed class ExternalToolTests
{
    [Fact]
    public void Require_MissingToolUnderCi_Fails()
    {
        var error = Record.Exception(() => ExternalTool.Require("secret-rotator-no-such-tool", ci: true));

        Assert.IsType<FailException>(error);
        Assert.Contains("scripts/install-deps.sh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Require_ToolOnPath_ReturnsItsPath()
    {
        var path = ExternalTool.Require("sh", ci: true);

        Assert.True(File.Exists(path), path);
    }
}
