using System.Text;
using Latchkey.Server.Gateway;

namespace Latchkey.Server.Tests.Gateway;

public sealed class JsonModelScannerTests
{
    private static JsonModelScanner Scan(string json, int chunk = 3)
    {
        var scanner = new JsonModelScanner();
        var bytes = Encoding.UTF8.GetBytes(json);
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            scanner.Feed(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        }

        return scanner;
    }

    [Theory]
    [InlineData("{\"model\":\"gpt-4o\",\"input\":\"hi\"}", "gpt-4o")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"the \\\"model\\\": \\\"x\\\"\"}],\"model\":\"gpt-4o\"}", "gpt-4o")]
    [InlineData("{\"input\":{\"model\":\"nested-is-not-top-level\"},\"model\":\"top\"}", "top")]
    [InlineData(" \r\n{ \"mod\\u0065l\" : \"escaped-key\" }", "escaped-key")]
    [InlineData("{\"model\":\"caf\\u00e9\"}", "café")]
    public void Feed_TopLevelModel_IsFound(string json, string model)
    {
        var scanner = Scan(json);
        Assert.Equal(JsonModelScannerState.Scanning, scanner.State);
        Assert.Equal(model, scanner.Model);
        Assert.True(scanner.Complete);
    }

    [Theory]
    [InlineData("{\"model\":\"a\",\"model\":\"b\"}")]
    [InlineData("{\"model\":\"a\",\"mo\\u0064el\":\"b\"}")]
    [InlineData("{\"model\":1}")]
    [InlineData("{\"model\":null}")]
    [InlineData("{\"model\":\"a\"}}")]
    [InlineData("{\"model\":\"a\"} {\"model\":\"b\"}")]
    [InlineData("{\"mod\\x\":\"a\"}")]
    public void Feed_AmbiguousBodies_AreMarked(string json) => Assert.Equal(JsonModelScannerState.Ambiguous, Scan(json).State);

    [Theory]
    [InlineData("[{\"model\":\"a\"}]")]
    [InlineData("model=a")]
    [InlineData("\uFEFF{\"model\":\"a\"}")]
    public void Feed_NotAJsonObject_IsNotJson(string json) => Assert.Equal(JsonModelScannerState.NotJson, Scan(json).State);

    [Fact]
    public void Feed_AModelTooLongToHold_IsAmbiguous() => Assert.Equal(JsonModelScannerState.Ambiguous, Scan("{\"model\":\"" + new string('m', 2000) + "\"}").State);
}
