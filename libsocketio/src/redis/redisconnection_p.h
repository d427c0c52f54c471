#pragma once

#include "redisconnection.h"
#include "redislink_p.h"
#include "redisshardsubscriber_p.h"

#include <QList>
#include <QPointer>

#include <functional>

namespace SocketIo {

class RedisAdapter;
class RedisShardedAdapter;

class RedisConnectionPrivate
{
public:
    RedisConnection *q_ptr = nullptr;
    RedisAdapterOptions options;
    RedisLink *pub = nullptr;
    RedisLink *sub = nullptr;                  // classic mode (SUBSCRIBE/PSUBSCRIBE)
    RedisShardSubscriber *ssub = nullptr;      // sharded mode (SSUBSCRIBE), instead of sub
    RedisConnection::State state = RedisConnection::State::Connecting;
    QString errorString;
    bool subscribed = false;
    QList<QPointer<RedisAdapter>> adapters;
    QList<QPointer<RedisShardedAdapter>> shardedAdapters;

    static RedisConnectionPrivate *get(RedisConnection *c) { return c->d_func(); }

    /*! Registers \a adapter: its channels are subscribed now (if connected) and after each
        reconnection, and it gets the messages. */
    void addAdapter(RedisAdapter *adapter);
    /*! Unsubscribes the channels of \a adapter and forgets it. */
    void removeAdapter(RedisAdapter *adapter);
    /*! PUBLISH; false (nothing sent) while the publisher is not connected. */
    bool publish(const QByteArray &channel, const QByteArray &payload);
    /*! Runs any command on the publisher connection; \a callback gets the reply, or null when the
        connection dropped before it came. False (nothing sent, no callback) while not connected. */
    bool command(const QList<QByteArray> &args, const RedisLink::ReplyCallback &callback = {});
    /*! Runs \a command (PUBSUB NUMSUB or SHARDNUMSUB of one channel) on the publisher connection and
        calls back with the count of subscribers (at least 1) and an empty error; when Redis cannot
        answer (not connected, connection lost, an error reply) with 1 and why. */
    void numSub(const QList<QByteArray> &command, const std::function<void(int count, const QString &error)> &callback);

    void subscribeAdapter(RedisAdapter *adapter);
    void updateState();
    void linkLost(const QString &linkName, bool subscriber, const QString &error);
    bool subscriberReady() const { return ssub ? ssub->isReady() : sub->isReady(); }
    int pendingSubscriptions() const { return ssub ? ssub->pendingSubscriptions() : sub->pendingSubscriptions(); }

    // sharded mode
    /*! Registers \a adapter: its channels are subscribed now (if connected) and after each
        reconnection, and it gets the messages. */
    void addAdapter(RedisShardedAdapter *adapter);
    /*! Unsubscribes the channels of \a adapter and forgets it. */
    void removeAdapter(RedisShardedAdapter *adapter);
    /*! SSUBSCRIBE (\a subscribe) or SUNSUBSCRIBE \a channels, when connected (else at reconnection). */
    void shardSubscribe(bool subscribe, const QList<QByteArray> &channels);
    /*! SPUBLISH; false (nothing sent) while the publisher is not connected. */
    bool spublish(const QByteArray &channel, const QByteArray &payload);
    void dispatch(const QByteArray &channel, const QByteArray &payload);

    Q_DECLARE_PUBLIC(RedisConnection)
};

} // namespace SocketIo
