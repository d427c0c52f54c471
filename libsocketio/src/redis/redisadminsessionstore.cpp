#include "redisadminsessionstore.h"

#include "redisconnection.h"
#include "redisconnection_p.h"
#include "redislogging_p.h"

#include <QHash>
#include <QObject>
#include <QPointer>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <utility>

namespace SocketIo {

namespace {

/*! The lookups waiting for Redis, shared with their reply callbacks so that each done() is called
    exactly once: by the reply, or with false when the connection goes away first (hiredis does
    not call back a link being destroyed). */
struct PendingLookups
{
    quint64 nextId = 0;
    QHash<quint64, std::function<void(bool)>> waiting;

    void failAll()
    {
        const QHash<quint64, std::function<void(bool)>> all = std::exchange(waiting, {});
        for (const std::function<void(bool)> &done : all)
            done(false);
    }
};

} // namespace

class RedisAdminSessionStorePrivate
{
public:
    QPointer<RedisConnection> connection;
    QString prefix;
    std::shared_ptr<PendingLookups> pending = std::make_shared<PendingLookups>();
    QMetaObject::Connection destroyedConnection;
};

RedisAdminSessionStore::RedisAdminSessionStore(RedisConnection *connection, const QString &prefix)
    : d_ptr(new RedisAdminSessionStorePrivate)
{
    Q_D(RedisAdminSessionStore);
    d->connection = connection;
    d->prefix = prefix;
    if (connection) {
        std::weak_ptr<PendingLookups> weak = d->pending;
        d->destroyedConnection = QObject::connect(connection, &QObject::destroyed, [weak] {
            if (const std::shared_ptr<PendingLookups> pending = weak.lock()) {
                if (!pending->waiting.isEmpty())
                    qCWarning(lcRedis, "admin session store: the RedisConnection is gone; %d session lookups answer false",
                              int(pending->waiting.size()));
                pending->failAll();
            }
        });
    }
}

RedisAdminSessionStore::~RedisAdminSessionStore()
{
    Q_D(RedisAdminSessionStore);
    QObject::disconnect(d->destroyedConnection);
    // The last owner of the store is gone (Instrumentations hold it). Calling back now could reach
    // an Instrumentation in the middle of its destruction, so the lookups still waiting answer
    // false from the event loop (on the connection's thread, the server's): the caller's guards
    // then see what is gone, and a waiting admin CONNECT is refused instead of hanging. The reply
    // callbacks only hold a weak_ptr and do nothing.
    const QHash<quint64, std::function<void(bool)>> waiting = std::exchange(d->pending->waiting, {});
    if (d->connection) {
        for (const std::function<void(bool)> &done : waiting)
            QMetaObject::invokeMethod(d->connection.data(), [done] { done(false); }, Qt::QueuedConnection);
    }
}

QString RedisAdminSessionStore::prefix() const { return d_func()->prefix; }

QString RedisAdminSessionStore::key(const QString &sessionId) const
{
    return d_func()->prefix + u'#' + sessionId;
}

void RedisAdminSessionStore::contains(const QString &sessionId, const std::function<void(bool)> &done)
{
    Q_D(RedisAdminSessionStore);
    if (!d->connection) {
        qCWarning(lcRedis, "admin session store: no RedisConnection; session id refused, password needed");
        done(false);
        return;
    }
    const quint64 id = ++d->pending->nextId;
    d->pending->waiting.insert(id, done);
    std::weak_ptr<PendingLookups> weak = d->pending;
    const bool sent = RedisConnectionPrivate::get(d->connection)
                          ->command({QByteArrayLiteral("EXISTS"), key(sessionId).toUtf8()}, [weak, id](redisReply *reply) {
                              const std::shared_ptr<PendingLookups> pending = weak.lock();
                              if (!pending)
                                  return;
                              const std::function<void(bool)> done = pending->waiting.take(id);
                              if (!done)
                                  return;
                              if (!reply || reply->type != REDIS_REPLY_INTEGER) {
                                  qCWarning(lcRedis, "admin session store: EXISTS failed (%s); session id refused, "
                                                     "password needed",
                                            !reply                               ? "connection lost"
                                                : reply->type == REDIS_REPLY_ERROR ? reply->str
                                                                                   : "unexpected reply");
                                  done(false);
                                  return;
                              }
                              done(reply->integer == 1);
                          });
    if (!sent) {
        const std::function<void(bool)> pendingDone = d->pending->waiting.take(id);
        qCWarning(lcRedis, "admin session store: not connected to Redis; session id refused, password needed");
        if (pendingDone)
            pendingDone(false);
    }
}

void RedisAdminSessionStore::save(const QString &sessionId, std::chrono::seconds duration)
{
    Q_D(RedisAdminSessionStore);
    const QByteArray k = key(sessionId).toUtf8();
    // one command with the end state of RedisStore's MULTI SET key true; EXPIRE key n; EXEC
    const QList<QByteArray> args{QByteArrayLiteral("SET"), k, QByteArrayLiteral("true"), QByteArrayLiteral("EX"),
                                 QByteArray::number(qint64(std::max<qint64>(duration.count(), 1)))};
    const bool sent = d->connection
        && RedisConnectionPrivate::get(d->connection)->command(args, [k](redisReply *reply) {
               if (!reply || reply->type == REDIS_REPLY_ERROR)
                   qCWarning(lcRedis, "admin session store: SET %s failed (%s); that session id will need the password",
                             k.constData(), reply ? reply->str : "connection lost");
           });
    if (!sent)
        qCWarning(lcRedis, "admin session store: not connected to Redis; session %s not saved", k.constData());
}

} // namespace SocketIo
