// Shared by the Redis adapter tests: a real redis-server on a free loopback port, and a raw RESP
// client (to publish garbage or to play a cluster node that never answers).
#pragma once

#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>
#include <SocketIo/message.h>
#include <SocketIo/redisconnection.h>
#include <SocketIo/server.h>

#include <QByteArray>
#include <QJsonArray>
#include <QList>
#include <QSet>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTcpSocket>

#include <algorithm>
#include <memory>

namespace SocketIo {
class Adapter;
}

namespace SocketIo::Test {

/*!
  `redis-server --port N --bind 127.0.0.1 --save '' --appendonly no` as a child process, on a free
  loopback port chosen at start(). stop() kills it by process id (SIGKILL, like a crash) and
  start(samePort) brings it back, empty. Destroying it kills the server.
*/
class RedisServer : public QObject
{
    Q_OBJECT
public:
    explicit RedisServer(QObject *parent = nullptr);
    ~RedisServer() override;

    /*! Whether redis-server is on PATH (say why otherwise). */
    static bool available(QString *why);
    /*! Starts on \a port (0: a free one) and waits until it accepts connections. */
    bool start(quint16 port = 0, const QStringList &extraArguments = {});
    void stop();
    bool isRunning() const;
    quint16 port() const { return m_port; }
    QString url() const;
    QString output() const { return QString::fromUtf8(m_output); }

private:
    QProcess m_process;
    quint16 m_port = 0;
    QByteArray m_output;
};

/*! A minimal blocking-free RESP client over QTcpSocket for tests: command() writes one command;
    replies are only counted (lines are not parsed beyond that). */
class RawRedisClient : public QObject
{
    Q_OBJECT
public:
    explicit RawRedisClient(QObject *parent = nullptr) : QObject(parent) {}
    /*! Connects and waits (event loop, bounded) for the connection. */
    bool open(quint16 port);
    void command(const QList<QByteArray> &args);
    /*! Everything received so far. */
    QByteArray received() const { return m_received; }
    QTcpSocket *socket() { return &m_socket; }

private:
    QTcpSocket m_socket;
    QByteArray m_received;
};

/*! Records the messages of the `socketio.redis` logging category (instead of printing them)
    while it exists; other categories go to the previous handler. */
class RedisLogCapture
{
public:
    RedisLogCapture();
    ~RedisLogCapture();
    /*! How many recorded warnings match \a pattern. */
    int count(const QString &pattern) const;
    QStringList messages() const;
};

/*! Asks \a adapter for its serverCount() and waits (event loop, at most 5 s) for the answer;
    -1 (and a warning) when none came. The answer may still arrive later: it is kept alive. */
int serverCountOf(SocketIo::Adapter *adapter);

#define SOCKETIO_REQUIRE_REDIS()                                                                   \
    do {                                                                                           \
        QString why_;                                                                              \
        if (!SocketIo::Test::RedisServer::available(&why_))                                        \
            QFAIL(qPrintable(why_));                                                               \
    } while (false)

/*! One of our server nodes in a test cluster (tst_redis_cluster, tst_redis_sharded). */
struct QtNode
{
    QString name;
    std::unique_ptr<SocketIo::RedisConnection> redis;
    std::unique_ptr<SocketIo::Server> io;
};

/*! One of our clients, recording the events it receives. */
struct TestClient
{
    QString user;
    std::unique_ptr<SocketIo::Client> client;
    SocketIo::ClientSocket *socket = nullptr;
    QList<SocketIo::Message> events;

    int count(const QString &event) const
    {
        return int(std::count_if(events.cbegin(), events.cend(),
                                 [&event](const SocketIo::Message &m) { return m.event() == event; }));
    }
    SocketIo::Message last(const QString &event) const
    {
        for (auto it = events.crbegin(); it != events.crend(); ++it) {
            if (it->event() == event)
                return *it;
        }
        return SocketIo::Message();
    }
};

/*! The strings of a JSON array, as a set. */
inline QSet<QString> stringSet(const QJsonArray &array)
{
    QSet<QString> set;
    for (const QJsonValue &v : array)
        set.insert(v.toString());
    return set;
}

} // namespace SocketIo::Test
