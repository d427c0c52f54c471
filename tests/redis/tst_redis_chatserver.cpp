// examples/chat-server --redis: two chat-server processes on one real redis-server form a cluster;
// a message sent to one reaches the clients of the other; with --admin, an admin client of one
// sees the server_stats of both, each with its own serverId (--admin-server-id, or the default
// host name#pid that --redis implies), and the sockets of the other.
#include "redistesthelpers.h"

#include <SocketIo/client.h>
#include <SocketIo/clientsocket.h>

#include <QCborMap>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSysInfo>
#include <QTest>

#include <csignal>
#include <sys/types.h>

using namespace Qt::StringLiterals;
using SocketIo::Test::RedisServer;

namespace {

// One chat-server process; killed by process id when destroyed.
class ChatServer
{
public:
    ~ChatServer()
    {
        if (process.state() != QProcess::NotRunning) {
            ::kill(pid_t(process.processId()), SIGKILL);
            process.waitForFinished(5000);
        }
    }
    bool start(const QString &redisUrl, const QStringList &extraArguments = {})
    {
        process.start(QStringLiteral(SOCKETIO_BINARY_DIR "/examples/chat-server/chat-server"),
                      QStringList{u"--port"_s, u"0"_s, u"--host"_s, u"127.0.0.1"_s, u"--redis"_s, redisUrl}
                              + extraArguments);
        if (!process.waitForStarted(5000))
            return false;
        const QRegularExpression listening(u"listening on port (\\d+)"_s);
        QDeadlineTimer deadline(10000);
        while (!deadline.hasExpired() && process.state() == QProcess::Running) {
            if (!output.contains("redis connected") || !listening.match(QString::fromUtf8(output)).hasMatch()) {
                if (process.waitForReadyRead(int(deadline.remainingTime())))
                    output += process.readAllStandardOutput();
                continue;
            }
            port = quint16(listening.match(QString::fromUtf8(output)).captured(1).toUInt());
            return true;
        }
        return false;
    }
    QProcess process;
    QByteArray output;
    quint16 port = 0;
};

} // namespace

class tst_RedisChatServer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void messagesCrossChatServersThroughRedis();
    void adminOfOneChatServerShowsEveryServer();
};

void tst_RedisChatServer::initTestCase()
{
    SOCKETIO_REQUIRE_REDIS();
    qRegisterMetaType<SocketIo::Message>();
    if (!QFileInfo::exists(QStringLiteral(SOCKETIO_BINARY_DIR "/examples/chat-server/chat-server")))
        QSKIP("examples/chat-server is not built in this tree (SOCKETIO_BUILD_EXAMPLES=OFF): nothing to test");
}

void tst_RedisChatServer::messagesCrossChatServersThroughRedis()
{
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.output()));
    ChatServer one;
    ChatServer two;
    QVERIFY2(one.start(redis.url()), one.output.constData());
    QVERIFY2(two.start(redis.url()), two.output.constData());

    SocketIo::Client c1(QUrl(u"http://127.0.0.1:%1"_s.arg(one.port)));
    SocketIo::Client c2(QUrl(u"http://127.0.0.1:%1"_s.arg(two.port)));
    QSignalSpy connected1(c1.socket(), &SocketIo::ClientSocket::connected);
    QSignalSpy connected2(c2.socket(), &SocketIo::ClientSocket::connected);
    QSignalSpy received2(c2.socket(), &SocketIo::ClientSocket::eventReceived);
    QVERIFY(connected1.wait(10000));
    QTRY_COMPARE(connected2.size(), 1);

    c1.socket()->emitEvent(u"message"_s, {u"hello over redis"_s});
    QTRY_VERIFY_WITH_TIMEOUT(!received2.isEmpty(), 10000);
    const SocketIo::Message m = received2.at(0).at(0).value<SocketIo::Message>();
    QCOMPARE(m.event(), u"message"_s);
    QCOMPARE(m.args().at(0).toMap().value(u"text"_s).toString(), u"hello over redis"_s);
    QCOMPARE(m.args().at(0).toMap().value(u"user"_s).toString(), c1.socket()->id());
}

void tst_RedisChatServer::adminOfOneChatServerShowsEveryServer()
{
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.output()));
    ChatServer one;
    ChatServer two;
    QVERIFY2(one.start(redis.url(), {u"--admin"_s, u"--admin-server-id"_s, u"chat-one"_s}), one.output.constData());
    QVERIFY2(two.start(redis.url(), {u"--admin"_s}), two.output.constData());
    const QString twoId = QSysInfo::machineHostName() + u'#' + QString::number(two.process.processId());

    SocketIo::ClientOptions options;
    options.reconnection = false;
    SocketIo::Client user(QUrl(u"http://127.0.0.1:%1"_s.arg(two.port)), options);
    QSignalSpy userConnected(user.socket(), &SocketIo::ClientSocket::connected);
    QVERIFY(userConnected.wait(10000));
    SocketIo::Client adminClient(QUrl(u"http://127.0.0.1:%1"_s.arg(one.port)), options);
    SocketIo::ClientSocket *admin = adminClient.socket(u"/admin"_s);
    QList<SocketIo::Message> events;
    connect(admin, &SocketIo::ClientSocket::eventReceived, this,
            [&events](const SocketIo::Message &m) { events.append(m); });
    const auto has = [&events](const QString &name, const std::function<bool(const QCborArray &)> &predicate) {
        return std::any_of(events.cbegin(), events.cend(), [&](const SocketIo::Message &m) {
            return m.event() == name && predicate(m.args());
        });
    };
    for (const QString &serverId : {u"chat-one"_s, twoId}) {
        QTRY_VERIFY_WITH_TIMEOUT(has(u"server_stats"_s, [serverId](const QCborArray &args) {
            return args.at(0).toMap().value(u"serverId"_s).toString() == serverId;
        }), 10000);
    }
    // the user of the other server is listed, and what it sends is reported
    const QString userId = user.socket()->id();
    QTRY_VERIFY_WITH_TIMEOUT(has(u"all_sockets"_s, [userId](const QCborArray &args) {
        for (const QCborValue &s : args.at(0).toArray()) {
            if (s.toMap().value(u"id"_s).toString() == userId)
                return true;
        }
        return false;
    }), 10000);
    user.socket()->emitEvent(u"message"_s, {u"seen by the admin"_s});
    QTRY_VERIFY_WITH_TIMEOUT(has(u"event_received"_s, [userId](const QCborArray &args) {
        return args.at(1).toString() == userId && args.at(2).toArray().at(1).toString() == u"seen by the admin"_s;
    }), 10000);
}

QTEST_GUILESS_MAIN(tst_RedisChatServer)
#include "tst_redis_chatserver.moc"
