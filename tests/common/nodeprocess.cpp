#include "nodeprocess.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QLoggingCategory>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTimer>

namespace SocketIo::Test {

Q_LOGGING_CATEGORY(lcNode, "socketio.test.node", QtWarningMsg)

namespace {

QString sourceDir()
{
    return QStringLiteral(SOCKETIO_SOURCE_DIR);
}

QString nodeModulesDir()
{
    return sourceDir() + QStringLiteral("/node_modules");
}

QString findNode()
{
    return QStandardPaths::findExecutable(QStringLiteral("node"));
}

QString computeUnavailableReason()
{
    if (findNode().isEmpty())
        return QStringLiteral("node (Node.js) is not on PATH; run scripts/setup.sh");
    const QStringList packages{QStringLiteral("socket.io"), QStringLiteral("socket.io-client")};
    for (const QString &package : packages) {
        const QString manifest = nodeModulesDir() + u'/' + package + QStringLiteral("/package.json");
        if (!QFileInfo::exists(manifest))
            return QStringLiteral("npm package %1 is not installed in %2; run scripts/setup.sh (npm ci)")
                .arg(package, nodeModulesDir());
    }
    return {};
}

} // namespace

QString nodeUnavailableReason()
{
    return computeUnavailableReason();
}

bool nodeAvailable()
{
    const QString reason = computeUnavailableReason();
    if (reason.isEmpty())
        return true;
    qWarning("interop peer unavailable: %s", qPrintable(reason));
    return false;
}

NodeProcess::NodeProcess(QObject *parent)
    : QObject(parent)
{
    m_process.setProcessChannelMode(QProcess::SeparateChannels);
    connect(&m_process, &QProcess::readyReadStandardOutput, this, &NodeProcess::readStdout);
    connect(&m_process, &QProcess::readyReadStandardError, this, &NodeProcess::readStderr);
    connect(&m_process, &QProcess::finished, this, [this] {
        readStdout();
        readStderr();
        m_finished = true;
        Q_EMIT finished();
    });
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart) {
            m_finished = true;
            Q_EMIT finished();
        }
    });
}

NodeProcess::~NodeProcess()
{
    kill();
}

QString NodeProcess::scriptPath(const QString &script)
{
    return sourceDir() + QStringLiteral("/tests/interop/js/") + script;
}

bool NodeProcess::start(const QString &script, const QStringList &arguments)
{
    Q_ASSERT(m_process.state() == QProcess::NotRunning);
    const QString node = findNode();
    if (node.isEmpty()) {
        qWarning("cannot start %s: node is not on PATH", qPrintable(script));
        return false;
    }
    m_script = script;
    m_finished = false;
    m_stdoutBuffer.clear();
    m_stderr.clear();
    m_all.clear();
    m_pending.clear();

    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QString nodePath = env.value(QStringLiteral("NODE_PATH"));
    env.insert(QStringLiteral("NODE_PATH"),
               nodePath.isEmpty() ? nodeModulesDir() : QString(nodeModulesDir() + u':' + nodePath));
    m_process.setProcessEnvironment(env);
    m_process.setWorkingDirectory(sourceDir());
    m_process.start(node, QStringList{scriptPath(script)} + arguments);
    if (!m_process.waitForStarted(10000)) {
        qWarning("cannot start node %s: %s", qPrintable(script), qPrintable(m_process.errorString()));
        return false;
    }
    qCDebug(lcNode) << "started" << script << arguments << "pid" << m_process.processId();
    return true;
}

bool NodeProcess::isRunning() const
{
    return m_process.state() != QProcess::NotRunning;
}

qint64 NodeProcess::processId() const
{
    return m_process.processId();
}

void NodeProcess::send(const QJsonObject &command)
{
    const QByteArray line = QJsonDocument(command).toJson(QJsonDocument::Compact) + '\n';
    qCDebug(lcNode) << m_script << "<-" << line.trimmed();
    m_process.write(line);
}

void NodeProcess::closeStdin()
{
    m_process.closeWriteChannel();
}

void NodeProcess::readStdout()
{
    m_stdoutBuffer += m_process.readAllStandardOutput();
    qsizetype newline;
    while ((newline = m_stdoutBuffer.indexOf('\n')) >= 0) {
        const QByteArray line = m_stdoutBuffer.left(newline).trimmed();
        m_stdoutBuffer.remove(0, newline + 1);
        if (line.isEmpty())
            continue;
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        if (!doc.isObject()) {
            qWarning("%s printed a line that is not a JSON object (%s): %s", qPrintable(m_script),
                     qPrintable(error.errorString()), line.constData());
            continue;
        }
        const QJsonObject object = doc.object();
        qCDebug(lcNode) << m_script << "->" << line;
        m_all.append(object);
        m_pending.append(object);
        Q_EMIT lineReceived(object);
    }
}

void NodeProcess::readStderr()
{
    const QByteArray data = m_process.readAllStandardError();
    if (data.isEmpty())
        return;
    qCDebug(lcNode) << m_script << "stderr:" << data;
    m_stderr += data;
}

QJsonObject NodeProcess::waitForLine(const Predicate &predicate, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        for (qsizetype i = 0; i < m_pending.size(); ++i) {
            if (predicate(m_pending.at(i)))
                return m_pending.takeAt(i);
        }
        if (m_finished || deadline.hasExpired())
            return {};
        // Run the event loop until something arrives, the process ends or time is up.
        QEventLoop loop;
        QTimer timer;
        timer.setSingleShot(true);
        connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
        connect(this, &NodeProcess::lineReceived, &loop, &QEventLoop::quit);
        connect(this, &NodeProcess::finished, &loop, &QEventLoop::quit);
        timer.start(std::max<qint64>(0, deadline.remainingTime()));
        loop.exec();
    }
}

QJsonObject NodeProcess::waitForEvent(const QString &event, int timeoutMs)
{
    return waitForLine([&event](const QJsonObject &line) {
        return line.value(QLatin1String("event")).toString() == event;
    }, timeoutMs);
}

QJsonObject NodeProcess::waitForReceived(const QString &name, int timeoutMs)
{
    return waitForLine([&name](const QJsonObject &line) {
        return line.value(QLatin1String("event")).toString() == QLatin1String("event")
            && line.value(QLatin1String("name")).toString() == name;
    }, timeoutMs);
}

QString NodeProcess::diagnostics() const
{
    QString text = QStringLiteral("node %1 (%2)").arg(
        m_script, isRunning() ? QStringLiteral("running")
                              : QStringLiteral("exited, code %1").arg(m_process.exitCode()));
    if (!m_stderr.isEmpty())
        text += QStringLiteral("\nstderr: ") + QString::fromUtf8(m_stderr.right(2000));
    const qsizetype from = std::max<qsizetype>(0, m_all.size() - 20);
    text += QStringLiteral("\nlast lines (%1 in all):").arg(m_all.size());
    for (qsizetype i = from; i < m_all.size(); ++i)
        text += u'\n' + QString::fromUtf8(QJsonDocument(m_all.at(i)).toJson(QJsonDocument::Compact));
    return text;
}

bool NodeProcess::waitForExit(int timeoutMs)
{
    if (!isRunning())
        return true;
    QEventLoop loop;
    QTimer timer;
    timer.setSingleShot(true);
    connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
    connect(this, &NodeProcess::finished, &loop, &QEventLoop::quit);
    timer.start(timeoutMs);
    if (!m_finished)
        loop.exec();
    return !isRunning();
}

int NodeProcess::exitCode() const
{
    if (isRunning() || m_process.exitStatus() != QProcess::NormalExit)
        return -1;
    return m_process.exitCode();
}

void NodeProcess::kill()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    qCDebug(lcNode) << "killing" << m_script << "pid" << m_process.processId();
    m_process.kill(); // SIGKILL to the process id
    m_process.waitForFinished(5000);
}

QJsonObject NodeProcess::binary(const QByteArray &bytes)
{
    return QJsonObject{{QStringLiteral("_bin"), QString::fromLatin1(bytes.toHex())}};
}

bool NodeProcess::isBinary(const QJsonValue &value)
{
    const QJsonObject object = value.toObject();
    return value.isObject() && object.size() == 1 && object.value(QLatin1String("_bin")).isString();
}

QByteArray NodeProcess::fromBinary(const QJsonValue &value)
{
    return QByteArray::fromHex(value.toObject().value(QLatin1String("_bin")).toString().toLatin1());
}

} // namespace SocketIo::Test
