using SecretRotator.Configuration;

namespace SecretRotator.Tests.Kubernetes;

/// <summary>Cases follow k8s.io/apimachinery labels.Parse: what it accepts must pass, what it rejects must fail.</summary>
public sealed class LabelSelectorTests
{
    [Theory]
    [InlineData("a=b")]
    [InlineData("a==b")]
    [InlineData("a!=b")]
    [InlineData("a=")] // an empty value is a valid label value
    [InlineData("a!=")]
    [InlineData("a = b")]
    [InlineData("env in (prod, staging)")]
    [InlineData("env in(prod)")]
    [InlineData("tier notin (x)")]
    [InlineData("tier notin(x,y)")]
    [InlineData("a in (x,)")] // Kubernetes reads the trailing comma as the empty value
    [InlineData("a in (,)")]
    [InlineData("a")]
    [InlineData("!a")]
    [InlineData("! a")]
    [InlineData("a,b=c")]
    [InlineData("a=b, c!=d ,e in (f), !g")]
    [InlineData("example.com/team=x")]
    [InlineData("app.kubernetes.io/managed-by=secret-rotator")]
    [InlineData("x/y=z")]
    [InlineData("a_b.c-d=E_f.g-H")]
    [InlineData("a>1")]
    [InlineData("replicas < 10")]
    [InlineData("k12345678901234567890123456789012345678901234567890123456789012=v")] // 63-char name
    public void Validate_KubernetesSelector_ReturnsNull(string selector) => Assert.Null(LabelSelector.Validate(selector));

    [Theory]
    [InlineData("a=b=c")]
    [InlineData("in (x)")]
    [InlineData("a in x")]
    [InlineData("a notin x")]
    [InlineData("a in ()")] // Kubernetes: values set can't be empty for in/notin
    [InlineData("a notin ( )")]
    [InlineData("a in (x y)")]
    [InlineData("a in ((x))")]
    [InlineData("a in (x")]
    [InlineData("=b")]
    [InlineData("a,,b")]
    [InlineData("a=b,")]
    [InlineData(",a")]
    [InlineData("key with space=v")]
    [InlineData("!a=b")]
    [InlineData("-a=b")]
    [InlineData("a-=b")]
    [InlineData("a=-b")]
    [InlineData("A/b=c")] // the prefix is a lowercase DNS subdomain
    [InlineData("a/b/c=d")]
    [InlineData("/b=c")]
    [InlineData("a/=c")]
    [InlineData("k123456789012345678901234567890123456789012345678901234567890123=v")] // 64-char name
    [InlineData("a=v123456789012345678901234567890123456789012345678901234567890123")] // 64-char value
    [InlineData("a>x")]
    [InlineData("a>")]
    [InlineData("a>-1")]
    [InlineData("a=b;c=d")]
    [InlineData("a=é")]
    [InlineData("")]
    [InlineData("   ")]
    public void Validate_InvalidSelector_SaysWhy(string selector)
    {
        var problem = LabelSelector.Validate(selector);

        Assert.False(string.IsNullOrWhiteSpace(problem), $"'{selector}' was accepted");
    }

    [Fact]
    public void Validate_BadRequirement_NamesIt()
    {
        var problem = LabelSelector.Validate("a=b, c=d=e");

        Assert.Contains("'c=d=e'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LongAdversarialSelector_ReturnsQuickly()
    {
        // Config values may be 4096 characters: the regexes must not backtrack catastrophically.
        var inputs = new[]
        {
            new string('a', 4095) + "!",
            string.Concat(Enumerable.Repeat("a.", 2047)) + "/",
            "a in (" + string.Concat(Enumerable.Repeat("x,", 2040)) + "!)",
            string.Concat(Enumerable.Repeat("a-", 2047)) + "=",
        };
        var watch = System.Diagnostics.Stopwatch.StartNew();

        foreach (var input in inputs) Assert.NotNull(LabelSelector.Validate(input));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }
}
