#include "handshake.h"

#include <SocketIo/engineoptions.h>

#include <QCborArray>
#include <QLocale>
#include <QTimeZone>
#include <QUrlQuery>

#include <limits>

namespace SocketIo {

QCborMap Handshake::toCbor() const
{
    QCborMap map;
    map.insert(QStringLiteral("headers"), headers);
    map.insert(QStringLiteral("time"), time);
    map.insert(QStringLiteral("address"), address);
    map.insert(QStringLiteral("xdomain"), xdomain);
    map.insert(QStringLiteral("secure"), secure);
    map.insert(QStringLiteral("issued"), issued);
    map.insert(QStringLiteral("url"), url);
    map.insert(QStringLiteral("query"), query);
    map.insert(QStringLiteral("auth"), auth);
    return map;
}

QJsonObject Handshake::toJson() const
{
    return toCbor().toJsonObject();
}

Handshake Handshake::fromCbor(const QCborMap &map)
{
    Handshake h;
    h.headers = map.value(QStringLiteral("headers")).toMap();
    h.time = map.value(QStringLiteral("time")).toString();
    h.address = map.value(QStringLiteral("address")).toString();
    h.xdomain = map.value(QStringLiteral("xdomain")).toBool();
    h.secure = map.value(QStringLiteral("secure")).toBool();
    const QCborValue issued = map.value(QStringLiteral("issued"));
    h.issued = issued.isDouble() ? qint64(issued.toDouble()) : issued.toInteger();
    h.url = map.value(QStringLiteral("url")).toString();
    h.query = map.value(QStringLiteral("query")).toMap();
    h.auth = map.value(QStringLiteral("auth")).toMap();
    return h;
}

namespace {
// Node's http module keeps the first of these when a request repeats them (the others are joined)
bool firstValueOnly(const QString &name)
{
    static const QLatin1String names[] = {
        QLatin1String("age"), QLatin1String("authorization"), QLatin1String("content-length"),
        QLatin1String("content-type"), QLatin1String("etag"), QLatin1String("expires"),
        QLatin1String("from"), QLatin1String("host"), QLatin1String("if-modified-since"),
        QLatin1String("if-unmodified-since"), QLatin1String("last-modified"),
        QLatin1String("location"), QLatin1String("max-forwards"),
        QLatin1String("proxy-authorization"), QLatin1String("referer"),
        QLatin1String("retry-after"), QLatin1String("server"), QLatin1String("user-agent"),
    };
    for (const QLatin1String &n : names) {
        if (name == n)
            return true;
    }
    return false;
}
} // namespace

Handshake Handshake::fromRequest(const EngineRequest &request, const QCborMap &auth)
{
    Handshake h;
    // repeated headers as Node's http module puts them in request.headers (message.headers)
    for (const auto &header : request.headers) {
        const QString name = QString::fromLatin1(header.first).toLower();
        const QString value = QString::fromUtf8(header.second);
        const QCborValue existing = h.headers.value(name);
        if (name == QLatin1String("set-cookie")) {
            QCborArray values = existing.toArray();
            values.append(value);
            h.headers.insert(name, values);
        } else if (!existing.isString()) {
            h.headers.insert(name, value);
        } else if (!firstValueOnly(name)) {
            const QString separator = name == QLatin1String("cookie") ? QStringLiteral("; ") : QStringLiteral(", ");
            h.headers.insert(name, QString(existing.toString() + separator + value));
        }
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    h.time = jsDateString(now);
    h.address = request.remoteAddress.toString();
    h.xdomain = !request.header("origin").isEmpty();
    h.secure = request.secure;
    h.issued = now.toMSecsSinceEpoch();
    h.url = request.url;
    // As engine.io 6 (Object.fromEntries(new URL(url).searchParams)): "+" reads as a space, and
    // of a name given several times the last value wins, in the place of its first occurrence.
    QUrlQuery query = request.query;
    if (query.query(QUrl::FullyEncoded).contains(u'+'))
        query.setQuery(query.query(QUrl::FullyEncoded).replace(u'+', QLatin1String("%20")));
    const auto items = query.queryItems(QUrl::FullyDecoded);
    for (const auto &item : items)
        h.query.insert(item.first, item.second);
    h.auth = auth;
    return h;
}

namespace {

// ICU's long name of the local zone at \a local, as V8 prints it ("Central European Summer
// Time"); cached per thread for the TZ setting, offset and daylight-saving state (a QTimeZone
// and an ICU calendar per handshake cost more than the rest of the handshake).
QString localZoneName(const QDateTime &local)
{
    struct Cache
    {
        QByteArray tz;
        int offset = std::numeric_limits<int>::min();
        bool daylight = false;
        QString name;
    };
    thread_local Cache cache;
    const QByteArray tz = qgetenv("TZ");
    const int offset = local.offsetFromUtc();
    const bool daylight = local.isDaylightTime();
    if (cache.offset == offset && cache.daylight == daylight && cache.tz == tz)
        return cache.name;
    // Qt names TZ=UTC "UTC" itself, and without tzdata the zone may be invalid: ICU (and so
    // V8) says "Coordinated Universal Time" for both.
    const QTimeZone system = QTimeZone::systemTimeZone();
    QString name;
    if (system.isValid() && system.id() != "UTC")
        name = system.displayName(local, QTimeZone::LongName, QLocale(QLocale::English, QLocale::UnitedStates));
    if (name.isEmpty() || name == QLatin1String("UTC")) {
        name = offset == 0 ? QStringLiteral("Coordinated Universal Time")
                           : local.timeZoneAbbreviation();
    }
    cache = Cache{tz, offset, daylight, name};
    return name;
}

} // namespace

QString Handshake::jsDateString(const QDateTime &dateTime)
{
    // V8 prints the local time, its offset and ICU's long name of the zone in US English, as
    // QTimeZone gives it with Debian's ICU-backed Qt.
    const QDateTime local = dateTime.toLocalTime();
    const int offset = local.offsetFromUtc() / 60;
    const int magnitude = offset < 0 ? -offset : offset;
    QString gmt = QStringLiteral(" GMT");
    gmt += offset < 0 ? u'-' : u'+';
    gmt += QString::number(magnitude / 60).rightJustified(2, u'0');
    gmt += QString::number(magnitude % 60).rightJustified(2, u'0');
    return QLocale::c().toString(local, QStringLiteral("ddd MMM dd yyyy HH:mm:ss")) + gmt
        + QStringLiteral(" (") + localZoneName(local) + u')';
}

bool Handshake::operator==(const Handshake &other) const
{
    return headers == other.headers && time == other.time && address == other.address
            && xdomain == other.xdomain && secure == other.secure && issued == other.issued
            && url == other.url && query == other.query && auth == other.auth;
}

} // namespace SocketIo
