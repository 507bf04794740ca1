namespace Latchkey.Server.Accounts;

/// <summary>What the enrolment page shows: the manual key, the otpauth URI and a QR code of it.</summary>
public sealed record TotpEnrollment(string SecretBase32, string OtpAuthUri, string QrCodePngDataUri);
