namespace Latchkey.Client.Configuration;

public enum TomlDateTimeKind
{
    OffsetDateTime,
    LocalDateTime,
    LocalDate,
    LocalTime,
}
