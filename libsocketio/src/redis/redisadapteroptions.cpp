#include "redisadapteroptions.h"

namespace SocketIo {

bool RedisAdapterOptions::setUrl(const QUrl &url)
{
    if (!url.isValid() || (url.scheme() != QLatin1String("redis") && !url.scheme().isEmpty()))
        return false;
    int newDb = 0;
    const QString path = url.path();
    if (path.size() > 1) {
        bool ok = false;
        newDb = path.mid(1).toInt(&ok);
        if (!ok || newDb < 0)
            return false;
    }
    if (!url.host().isEmpty())
        host = url.host();
    port = quint16(url.port(6379));
    username = url.userName();
    password = url.password();
    db = newDb;
    return true;
}

QUrl RedisAdapterOptions::url() const
{
    QUrl url;
    url.setScheme(QStringLiteral("redis"));
    url.setHost(host);
    url.setPort(port);
    if (db != 0)
        url.setPath(QLatin1Char('/') + QString::number(db));
    return url;
}

} // namespace SocketIo
