using System.Xml.Linq;
using Latchkey.Server.Storage.Repositories;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Latchkey.Server.Keys;

/// <summary>
/// Keeps ASP.NET Data Protection keys in the database so every instance can read cookies, antiforgery
/// tokens and protected secrets written by any other.
/// </summary>
public sealed class DatabaseXmlRepository(KeyRepository keys, TimeProvider time) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
        => keys.ListDataProtectionKeys().Select(xml => XElement.Parse(xml)).ToList();

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        keys.StoreDataProtectionKey(friendlyName, element.ToString(SaveOptions.DisableFormatting), time.GetUtcNow().ToUnixTimeMilliseconds());
    }
}
