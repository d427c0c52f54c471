#include "redistesthelpers.h"

#include <SocketIo/adapter.h>

#include <QDeadlineTimer>
#include <QHostAddress>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTest>

#include <algorithm>

#include <csignal>
#include <sys/types.h>

namespace SocketIo::Test {

int serverCountOf(SocketIo::Adapter *adapter)
{
    auto count = std::make_shared<int>(-1);   // outlives this call if Redis answers late
    adapter->serverCount([count](int n) { *count = n; });
    if (!QTest::qWaitFor([count] { return *count >= 0; }, 5000))
        qWarning("serverCount() did not answer");
    return *count;
}

RedisServer::RedisServer(QObject *parent) : QObject(parent)
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    connect(&m_process, &QProcess::readyRead, this, [this] { m_output += m_process.readAll(); });
}

RedisServer::~RedisServer()
{
    stop();
}

bool RedisServer::available(QString *why)
{
    if (!QStandardPaths::findExecutable(QStringLiteral("redis-server")).isEmpty())
        return true;
    if (why)
        *why = QStringLiteral("redis-server is not on PATH (Debian package redis-server): cannot run Redis tests");
    return false;
}

bool RedisServer::start(quint16 port, const QStringList &extraArguments)
{
    stop();
    if (port == 0) {
        QTcpServer probe;
        if (!probe.listen(QHostAddress::LocalHost, 0))
            return false;
        port = probe.serverPort();
    }
    m_port = port;
    m_output.clear();
    const QStringList arguments{QStringLiteral("--port"), QString::number(port), QStringLiteral("--bind"),
                                QStringLiteral("127.0.0.1"), QStringLiteral("--save"), QString(),
                                QStringLiteral("--appendonly"), QStringLiteral("no"), QStringLiteral("--protected-mode"),
                                QStringLiteral("no")};
    m_process.start(QStringLiteral("redis-server"), arguments + extraArguments);
    if (!m_process.waitForStarted(5000)) {
        qWarning("redis-server did not start: %s", qPrintable(m_process.errorString()));
        return false;
    }
    // ready once it says so on stdout (merged channels)
    QDeadlineTimer deadline(10000);
    while (!m_output.contains("Ready to accept connections") && !deadline.hasExpired()
           && m_process.state() == QProcess::Running) {
        if (m_process.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime()))))
            m_output += m_process.readAll();
    }
    if (m_output.contains("Ready to accept connections")) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (socket.waitForConnected(2000)) {
            socket.write("PING\r\n");
            // +PONG, or -NOAUTH when started with --requirepass: it answers either way
            if (socket.waitForReadyRead(2000)) {
                const QByteArray answer = socket.readAll();
                if (answer.startsWith("+PONG") || answer.startsWith("-NOAUTH"))
                    return true;
            }
        }
    }
    qWarning("redis-server on port %d is not ready: %s", int(port), m_output.constData());
    return false;
}

void RedisServer::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    const qint64 pid = m_process.processId();
    if (pid > 0)
        ::kill(pid_t(pid), SIGKILL);
    m_process.waitForFinished(5000);
}

bool RedisServer::isRunning() const
{
    return m_process.state() == QProcess::Running;
}

QString RedisServer::url() const
{
    return QStringLiteral("redis://127.0.0.1:%1").arg(m_port);
}

bool RawRedisClient::open(quint16 port)
{
    connect(&m_socket, &QTcpSocket::readyRead, this, [this] { m_received += m_socket.readAll(); });
    m_socket.connectToHost(QHostAddress::LocalHost, port);
    return m_socket.waitForConnected(5000);
}

void RawRedisClient::command(const QList<QByteArray> &args)
{
    QByteArray out = '*' + QByteArray::number(args.size()) + "\r\n";
    for (const QByteArray &arg : args)
        out += '$' + QByteArray::number(arg.size()) + "\r\n" + arg + "\r\n";
    m_socket.write(out);
    m_socket.flush();
}

namespace {
QtMessageHandler previousHandler = nullptr;
QStringList capturedMessages;

void captureHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (context.category && qstrcmp(context.category, "socketio.redis") == 0 && type == QtWarningMsg) {
        capturedMessages.append(message);
        return;
    }
    if (previousHandler)
        previousHandler(type, context, message);
}
} // namespace

RedisLogCapture::RedisLogCapture()
{
    capturedMessages.clear();
    previousHandler = qInstallMessageHandler(captureHandler);
}

RedisLogCapture::~RedisLogCapture()
{
    qInstallMessageHandler(previousHandler);
    previousHandler = nullptr;
}

int RedisLogCapture::count(const QString &pattern) const
{
    const QRegularExpression re(pattern);
    return int(std::count_if(capturedMessages.cbegin(), capturedMessages.cend(),
                             [&re](const QString &m) { return re.match(m).hasMatch(); }));
}

QStringList RedisLogCapture::messages() const
{
    return capturedMessages;
}

} // namespace SocketIo::Test
