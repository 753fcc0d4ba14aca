using Liaa.AppHost.Otlp;

namespace Liaa.Tests.Otlp;

public sealed class GrpcFramingTests
{
    [Fact]
    public void Frame_PrefixesUncompressedFlagAndBigEndianLength()
    {
        Assert.Equal(new byte[] { 0, 0, 0, 0, 3, 9, 8, 7 }, GrpcFraming.Frame([9, 8, 7]));
    }

    [Fact]
    public void TryReadUnaryMessage_ReturnsPayload_OfOneUncompressedFrame()
    {
        var ok = GrpcFraming.TryReadUnaryMessage(GrpcFraming.Frame([1, 2]), null, 1024, out var message, out var status, out _);

        Assert.True(ok);
        Assert.Equal(GrpcFraming.StatusOk, status);
        Assert.Equal(new byte[] { 1, 2 }, message);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0 }, GrpcFraming.StatusInvalidArgument)]
    [InlineData(new byte[] { 0, 0, 0, 0, 2, 1 }, GrpcFraming.StatusInvalidArgument)]
    [InlineData(new byte[] { 2, 0, 0, 0, 1, 1 }, GrpcFraming.StatusInvalidArgument)]
    [InlineData(new byte[] { 1, 0, 0, 0, 1, 1 }, GrpcFraming.StatusUnimplemented)]
    public void TryReadUnaryMessage_ReturnsStatus_ForMalformedOrUnsupportedFrames(byte[] body, int expectedStatus)
    {
        var ok = GrpcFraming.TryReadUnaryMessage(body, encoding: null, 1024, out _, out var status, out var error);

        Assert.False(ok);
        Assert.Equal(expectedStatus, status);
        Assert.NotEmpty(error);
    }

    [Fact]
    public void TryGunzip_RefusesOutputLargerThanTheLimit()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(new byte[100_000]);
        }

        Assert.False(OtlpBody.TryGunzip(buffer.ToArray(), 50_000, out _));
        Assert.True(OtlpBody.TryGunzip(buffer.ToArray(), 100_000, out var inflated));
        Assert.Equal(100_000, inflated.Length);
    }
}
