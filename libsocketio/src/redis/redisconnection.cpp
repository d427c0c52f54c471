#include "redisconnection.h"

#include "redisadapter.h"
#include "redisadapter_p.h"
#include "redisconnection_p.h"
#include "redislogging_p.h"
#include "redisshardedadapter.h"
#include "redisshardedadapter_p.h"

#include <SocketIo/namespace.h>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <memory>

namespace SocketIo {

RedisConnection::RedisConnection(const RedisAdapterOptions &options, QObject *parent)
    : QObject(parent), d_ptr(new RedisConnectionPrivate)
{
    Q_D(RedisConnection);
    d->q_ptr = this;
    d->options = options;
    d->pub = new RedisLink(QStringLiteral("redis publisher"), options, this);
    connect(d->pub, &RedisLink::ready, this, [d] { d->updateState(); });
    connect(d->pub, &RedisLink::lost, this,
            [d](const QString &error) { d->linkLost(d->pub->name(), false, error); });
    if (options.sharded) {
        d->ssub = new RedisShardSubscriber(QStringLiteral("redis sharded subscriber"), options, this);
        connect(d->ssub, &RedisShardSubscriber::ready, this, [d] { d->updateState(); });
        connect(d->ssub, &RedisShardSubscriber::lost, this,
                [d](const QString &error) { d->linkLost(d->ssub->name(), true, error); });
        connect(d->ssub, &RedisShardSubscriber::subscriptionsConfirmed, this, [d] { d->updateState(); });
        connect(d->ssub, &RedisShardSubscriber::messageReceived, this,
                [d](const QByteArray &channel, const QByteArray &payload) { d->dispatch(channel, payload); });
        d->pub->start();
        d->ssub->start();
        return;
    }
    d->sub = new RedisLink(QStringLiteral("redis subscriber"), options, this);
    connect(d->sub, &RedisLink::ready, this, [d] { d->updateState(); });
    connect(d->sub, &RedisLink::lost, this, [d](const QString &error) { d->linkLost(d->sub->name(), true, error); });
    connect(d->sub, &RedisLink::subscriptionsConfirmed, this, [d] { d->updateState(); });
    connect(d->sub, &RedisLink::messageReceived, this,
            [d](const QByteArray &channel, const QByteArray &payload) { d->dispatch(channel, payload); });
    d->pub->start();
    d->sub->start();
}

RedisConnection::~RedisConnection()
{
    Q_D(RedisConnection);
    // adapters outliving the connection stop relaying
    for (const QPointer<RedisAdapter> &adapter : std::as_const(d->adapters)) {
        if (adapter)
            RedisAdapterPrivate::get(adapter)->connection = nullptr;
    }
    d->adapters.clear();
    for (const QPointer<RedisShardedAdapter> &adapter : std::as_const(d->shardedAdapters)) {
        if (adapter)
            RedisShardedAdapterPrivate::get(adapter)->connection = nullptr;
    }
    d->shardedAdapters.clear();
}

RedisAdapterOptions RedisConnection::options() const { return d_func()->options; }
RedisConnection::State RedisConnection::state() const { return d_func()->state; }
QString RedisConnection::errorString() const { return d_func()->errorString; }

AdapterFactory RedisConnection::adapterFactory()
{
    QPointer<RedisConnection> self(this);
    return [self](Namespace *nsp) -> Adapter * {
        if (!self) {
            qCWarning(lcRedis, "namespace %s: the RedisConnection is gone; using the in-memory adapter",
                      qUtf8Printable(nsp->name()));
            return nullptr;
        }
        if (self->d_func()->ssub)
            return new RedisShardedAdapter(nsp, self);
        return new RedisAdapter(nsp, self);
    };
}

void RedisConnectionPrivate::addAdapter(RedisAdapter *adapter)
{
    if (!sub) {
        qCWarning(lcRedis, "a RedisAdapter cannot use a sharded RedisConnection; it stays local");
        return;
    }
    adapters.removeAll(nullptr);
    if (!adapters.contains(adapter))
        adapters.append(adapter);
    if (sub->isReady() && subscribed)
        subscribeAdapter(adapter);
}

void RedisConnectionPrivate::removeAdapter(RedisAdapter *adapter)
{
    if (!sub)
        return;
    adapters.removeAll(adapter);
    adapters.removeAll(nullptr);
    if (!sub->isReady())
        return;
    RedisAdapterPrivate *a = RedisAdapterPrivate::get(adapter);
    sub->subscribe({QByteArrayLiteral("PUNSUBSCRIBE"), a->broadcastPattern()});
    sub->subscribe({QByteArrayLiteral("UNSUBSCRIBE"), a->requestChannel.toUtf8(), a->responseChannel.toUtf8(),
                    a->specificResponseChannel().toUtf8()});
}

void RedisConnectionPrivate::subscribeAdapter(RedisAdapter *adapter)
{
    RedisAdapterPrivate *a = RedisAdapterPrivate::get(adapter);
    sub->subscribe({QByteArrayLiteral("PSUBSCRIBE"), a->broadcastPattern()});
    sub->subscribe({QByteArrayLiteral("SUBSCRIBE"), a->requestChannel.toUtf8(), a->responseChannel.toUtf8(),
                    a->specificResponseChannel().toUtf8()});
}

bool RedisConnectionPrivate::publish(const QByteArray &channel, const QByteArray &payload)
{
    if (!pub->command({QByteArrayLiteral("PUBLISH"), channel, payload})) {
        qCDebug(lcRedis, "not connected to Redis: message to %s dropped", channel.constData());
        return false;
    }
    return true;
}

bool RedisConnectionPrivate::command(const QList<QByteArray> &args, const RedisLink::ReplyCallback &callback)
{
    return pub->command(args, callback);
}

void RedisConnectionPrivate::numSub(const QList<QByteArray> &command,
                                    const std::function<void(int count, const QString &error)> &callback)
{
    const QString name = QString::fromUtf8(command.mid(0, 2).join(' '));
    auto called = std::make_shared<bool>(false);
    const bool sent = pub->command(command, [callback, called, name](redisReply *reply) {
        *called = true;
        if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2
            && reply->element[1]->type == REDIS_REPLY_INTEGER) {
            callback(std::max(int(reply->element[1]->integer), 1), QString());
            return;
        }
        const QString why = !reply ? QStringLiteral("connection lost")
            : reply->type == REDIS_REPLY_ERROR ? QString::fromUtf8(reply->str, qsizetype(reply->len))
                                               : QStringLiteral("unexpected reply");
        callback(1, QStringLiteral("%1 failed: %2").arg(name, why));
    });
    if (!sent && !*called)
        callback(1, QStringLiteral("%1 failed: not connected to Redis").arg(name));
}

void RedisConnectionPrivate::updateState()
{
    Q_Q(RedisConnection);
    if (subscriberReady() && !subscribed) {
        subscribed = true;
        adapters.removeAll(nullptr);
        for (const QPointer<RedisAdapter> &adapter : std::as_const(adapters))
            subscribeAdapter(adapter);
        shardedAdapters.removeAll(nullptr);
        for (const QPointer<RedisShardedAdapter> &adapter : std::as_const(shardedAdapters))
            ssub->send(true, RedisShardedAdapterPrivate::get(adapter)->channels());
    }
    // connected once Redis confirmed the subscriptions: a message published after connected() reaches us
    if (!pub->isReady() || !subscriberReady() || pendingSubscriptions() > 0
        || state == RedisConnection::State::Connected)
        return;
    const bool recovered = state == RedisConnection::State::Disconnected;
    state = RedisConnection::State::Connected;
    if (recovered)
        qCWarning(lcRedis, "connection to Redis %s:%d restored", qUtf8Printable(options.host), int(options.port));
    else
        qCDebug(lcRedis, "connected to Redis %s:%d", qUtf8Printable(options.host), int(options.port));
    QPointer<RedisConnection> guard(q);
    Q_EMIT q->stateChanged(state);
    if (guard)
        Q_EMIT q->connected();
}

void RedisConnectionPrivate::linkLost(const QString &linkName, bool subscriber, const QString &error)
{
    Q_Q(RedisConnection);
    if (subscriber)
        subscribed = false;
    const bool firstFailure = errorString != error || state == RedisConnection::State::Connected;
    errorString = error;
    QPointer<RedisConnection> guard(q);
    if (state == RedisConnection::State::Connected) {
        qCWarning(lcRedis, "%s: %s; local traffic continues, reconnecting", qUtf8Printable(linkName),
                  qUtf8Printable(error));
        state = RedisConnection::State::Disconnected;
        Q_EMIT q->stateChanged(state);
        if (guard)
            Q_EMIT q->disconnected();
    } else if (firstFailure) {
        qCWarning(lcRedis, "%s: cannot connect to Redis %s:%d: %s; retrying", qUtf8Printable(linkName),
                  qUtf8Printable(options.host), int(options.port), qUtf8Printable(error));
    } else {
        qCDebug(lcRedis, "%s: %s", qUtf8Printable(linkName), qUtf8Printable(error));
    }
    if (guard)
        Q_EMIT q->errorOccurred(error);
}

void RedisConnectionPrivate::addAdapter(RedisShardedAdapter *adapter)
{
    if (!ssub) {
        qCWarning(lcRedis, "a RedisShardedAdapter needs a RedisConnection with options.sharded; it stays local");
        return;
    }
    shardedAdapters.removeAll(nullptr);
    if (!shardedAdapters.contains(adapter))
        shardedAdapters.append(adapter);
    if (ssub && ssub->isReady() && subscribed)
        ssub->send(true, RedisShardedAdapterPrivate::get(adapter)->channels());
}

void RedisConnectionPrivate::removeAdapter(RedisShardedAdapter *adapter)
{
    shardedAdapters.removeAll(adapter);
    shardedAdapters.removeAll(nullptr);
    if (ssub && ssub->isReady())
        ssub->send(false, RedisShardedAdapterPrivate::get(adapter)->channels());
}

void RedisConnectionPrivate::shardSubscribe(bool subscribe, const QList<QByteArray> &channels)
{
    // while disconnected nothing is sent: updateState() subscribes every current channel again
    if (ssub && ssub->isReady() && subscribed)
        ssub->send(subscribe, channels);
}

bool RedisConnectionPrivate::spublish(const QByteArray &channel, const QByteArray &payload)
{
    if (!pub->command({QByteArrayLiteral("SPUBLISH"), channel, payload})) {
        qCDebug(lcRedis, "not connected to Redis: message to %s dropped", channel.constData());
        return false;
    }
    return true;
}

void RedisConnectionPrivate::dispatch(const QByteArray &channel, const QByteArray &payload)
{
    if (ssub) {
        const QList<QPointer<RedisShardedAdapter>> list = shardedAdapters;
        for (const QPointer<RedisShardedAdapter> &adapter : list) {
            if (adapter && RedisShardedAdapterPrivate::get(adapter)->handleMessage(channel, payload))
                return;
        }
        return;
    }
    const QList<QPointer<RedisAdapter>> list = adapters;
    for (const QPointer<RedisAdapter> &adapter : list) {
        if (adapter)
            RedisAdapterPrivate::get(adapter)->handleMessage(channel, payload);
    }
}

} // namespace SocketIo
