// What the private parts of the classic (RedisAdapterPrivate) and sharded (RedisShardedAdapterPrivate)
// adapters share: registration with their RedisConnection, the count of nodes, and the bookkeeping of
// requests that wait for the other nodes' answers and of broadcasts with acknowledgements started here.
#pragma once

#include "redisconnection.h"
#include "redisconnection_p.h"
#include "redislogging_p.h"

#include <SocketIo/adapter.h>
#include <SocketIo/namespace.h>
#include <SocketIo/remotesocket.h>

#include <QByteArray>
#include <QCborArray>
#include <QHash>
#include <QList>
#include <QPointer>
#include <QSet>
#include <QString>
#include <QTimer>

#include <chrono>
#include <functional>

namespace SocketIo {

/*!
  Base of the private class \a Derived of the adapter \a Public (RedisAdapter, RedisShardedAdapter),
  whose requests are typed by the enum \a Type. \a Derived provides `static QString newId()` (its
  request ids), `QString nspName() const` and `QList<QByteArray> numSubCommand() const` (the
  PUBSUB command counting the nodes of its namespace).
*/
template <typename Derived, typename Public, typename Type>
class RedisAdapterPrivateBase
{
public:
    /*! A request waiting for the answers of the other nodes (fetchSockets, allRooms, serverSideEmit
        with acknowledgement). */
    struct Request
    {
        Type type{};
        int expected = 0;   // answers awaited: one per other node
        int current = 0;    // answers received
        QList<RemoteSocket> sockets;
        QSet<QString> rooms;
        QCborArray responses;
        std::function<void(const Request &request, const QString &error)> finish;
    };
    /*! A broadcast with acknowledgements started here. */
    struct AckRequest
    {
        Adapter::ClientCountCallback clientCount;
        Adapter::AckCallback ack;
    };

    Public *q_ptr = nullptr;
    QPointer<RedisConnection> connection;
    QString uid;
    std::chrono::milliseconds requestsTimeout{5000};
    bool registered = false;
    QHash<QString, Request> requests;
    QHash<QString, AckRequest> ackRequests;

    /*! Adapter::init(): registers with the connection, except in a parent (dynamic) namespace, which
        has no sockets of its own (its children have adapters). */
    void init()
    {
        if (registered || !connection || (q_ptr->nsp() && q_ptr->nsp()->isParent()))
            return;
        registered = true;
        RedisConnectionPrivate::get(connection)->addAdapter(q_ptr);
    }

    /*! Adapter::close(): unregisters. */
    void close()
    {
        if (!registered)
            return;
        registered = false;
        if (connection)
            RedisConnectionPrivate::get(connection)->removeAdapter(q_ptr);
    }

    /*! The nodes serving this namespace (Derived::numSubCommand()), and an empty error; 1 and why
        when Redis cannot answer. 1 and no error for an adapter that stays local (no connection, or
        the parent of dynamic namespaces). */
    void numSub(const std::function<void(int count, const QString &error)> &callback) const
    {
        if (!connection || !registered) {
            callback(1, QString());
            return;
        }
        RedisConnectionPrivate::get(connection)->numSub(derived()->numSubCommand(), callback);
    }

    /*! Calls \a ask with this private part and the number of other nodes when there are some,
        \a alone otherwise; neither once the adapter is gone. When the nodes cannot be counted
        (Redis cannot answer PUBSUB NUMSUB / SHARDNUMSUB: the official adapter's request rejects
        with the Redis client's error then) the request fails at once: the error "cannot count the
        servers: <why>" is logged, requestFailed() emitted, and \a failed called with it. */
    void askOtherNodes(const std::function<void(Derived *d, int others)> &ask, const std::function<void()> &alone,
                       const std::function<void(const QString &error)> &failed)
    {
        QPointer<Public> guard(q_ptr);
        Derived *d = derived();
        numSub([guard, d, ask, alone, failed](int count, const QString &numSubError) {
            if (!guard)
                return;
            if (!numSubError.isEmpty()) {
                const QString error = QStringLiteral("cannot count the servers: %1").arg(numSubError);
                qCWarning(lcRedis, "%s: %s", qUtf8Printable(d->nspName()), qUtf8Printable(error));
                Q_EMIT guard->requestFailed(error);
                if (guard)
                    failed(error);
                return;
            }
            if (count <= 1)
                alone();
            else
                ask(d, count - 1);
        });
    }

    /*! Registers \a request under a new id, which it returns, and arms its timeout: the request then
        ends with \a timeoutError, or when that is empty with socket.io's "timeout reached: only X
        responses received out of Y". */
    QString addRequest(Request request, std::chrono::milliseconds timeout, const QString &timeoutError)
    {
        QString requestId = Derived::newId();
        while (requests.contains(requestId))
            requestId = Derived::newId();
        requests.insert(requestId, std::move(request));
        QPointer<Public> guard(q_ptr);
        Derived *d = derived();
        QTimer::singleShot(timeout, q_ptr, [guard, d, requestId, timeoutError] {
            if (!guard)
                return;
            auto it = d->requests.constFind(requestId);
            if (it == d->requests.constEnd())
                return;
            d->finishRequest(requestId, !timeoutError.isEmpty()
                                                ? timeoutError
                                                : QStringLiteral("timeout reached: only %1 responses received out of %2")
                                                          .arg(it->current)
                                                          .arg(it->expected));
        });
        return requestId;
    }

    /*! Ends the request \a requestId if it is still pending: on \a error logs it and emits
        requestFailed(), then calls its finish (unless that destroyed the adapter). */
    void finishRequest(const QString &requestId, const QString &error)
    {
        auto it = requests.find(requestId);
        if (it == requests.end())
            return;
        const Request request = *it;
        requests.erase(it);
        if (!error.isEmpty()) {
            qCWarning(lcRedis, "%s: %s", qUtf8Printable(derived()->nspName()), qUtf8Printable(error));
            QPointer<Public> guard(q_ptr);
            Q_EMIT q_ptr->requestFailed(error);
            if (!guard)
                return;
        }
        if (request.finish)
            request.finish(request, error);
    }

    /*! Keeps the callbacks of the broadcast with acknowledgements \a requestId for \a timeout:
        nothing tells when every client of every node has answered. */
    void addAckRequest(const QString &requestId, const AckRequest &ackRequest, std::chrono::milliseconds timeout)
    {
        ackRequests.insert(requestId, ackRequest);
        QPointer<Public> guard(q_ptr);
        Derived *d = derived();
        QTimer::singleShot(timeout, q_ptr, [guard, d, requestId] {
            if (guard)
                d->ackRequests.remove(requestId);
        });
    }

private:
    Derived *derived() { return static_cast<Derived *>(this); }
    const Derived *derived() const { return static_cast<const Derived *>(this); }
};

} // namespace SocketIo
