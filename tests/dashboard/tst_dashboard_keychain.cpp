// The dashboard's secrets in the system keychain (QtKeychain over the Secret Service of a
// gnome-keyring started for this test by CTest in a private D-Bus session): passwords and
// session ids are stored, read back and deleted, and never written to the settings file.
#include "dashboardbackend.h"

#include "connectionlist.h"

#include <QFile>
#include <QTemporaryDir>

using namespace Qt::StringLiterals;
using namespace SocketIo::Dashboard;
using SocketIo::Test::BackendOptions;
using SocketIo::Test::DashboardBackend;
using State = AdminConnection::State;

namespace {
/*! Reads \a key and waits for the answer: {found, secret}. */
std::pair<bool, QString> readBack(CredentialStore &store, const QString &key)
{
    QSignalSpy read(&store, &CredentialStore::secretRead);
    QSignalSpy error(&store, &CredentialStore::errorOccurred);
    store.readSecret(key);
    if (!QTest::qWaitFor([&] { return read.count() + error.count() > 0; }, 10000) || read.isEmpty())
        return {false, u"<error: %1>"_s.arg(store.lastError())};
    return {read.at(0).at(2).toBool(), read.at(0).at(1).toString()};
}
} // namespace

class tst_DashboardKeychain : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS") || qEnvironmentVariableIsEmpty("GNOME_KEYRING_CONTROL"))
            QFAIL("this test needs a private D-Bus session with an unlocked gnome-keyring: run it with ctest "
                  "(dbus-run-session and gnome-keyring-daemon must be installed)");
    }

    void unreachableKeychainIsReported()
    {
        // runs first, before this process has used D-Bus: with the session bus address pointing
        // nowhere, every job must end with errorOccurred() (and the connection code goes on
        // without secrets), not hang or crash
        const QByteArray address = qgetenv("DBUS_SESSION_BUS_ADDRESS");
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/socketio-dashboard-test");
        CredentialStore store(u"socketio-dashboard-test"_s);
        QSignalSpy error(&store, &CredentialStore::errorOccurred);
        QSignalSpy written(&store, &CredentialStore::secretWritten);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"keychain: cannot store"_s));
        store.writeSecret(u"password:x@http://127.0.0.1:1"_s, u"secret"_s);
        QTRY_COMPARE_WITH_TIMEOUT(error.count(), 1, 30000);
        QCOMPARE(written.count(), 0);
        QCOMPARE(error.at(0).at(0).toString(), u"password:x@http://127.0.0.1:1"_s);
        QVERIFY(!error.at(0).at(1).toString().isEmpty());
        QVERIFY(!store.lastError().isEmpty());
        qputenv("DBUS_SESSION_BUS_ADDRESS", address);
    }

    void storeReadDeletePasswordAndSession()
    {
        CredentialStore store(u"socketio-dashboard-test"_s);
        const QUrl url(u"http://127.0.0.1:3000"_s);
        const QString pwKey = CredentialStore::passwordKey(url, u"admin"_s);
        const QString sessionKey = CredentialStore::sessionKey(url, u"/admin"_s, u"admin"_s);
        QVERIFY(pwKey != sessionKey);

        for (const auto &[key, secret] : {std::pair{pwKey, u"s3cr3t pässword"_s}, std::pair{sessionKey, u"74519be026269375"_s}}) {
            QCOMPARE(readBack(store, key), std::make_pair(false, QString()));
            QSignalSpy written(&store, &CredentialStore::secretWritten);
            store.writeSecret(key, secret);
            QCOMPARE(written.count(), 0);   // asynchronous, never inside the call
            QTRY_COMPARE_WITH_TIMEOUT(written.count(), 1, 10000);
            QCOMPARE(written.at(0).at(0).toString(), key);
            QCOMPARE(readBack(store, key), std::make_pair(true, secret));

            QSignalSpy deleted(&store, &CredentialStore::secretDeleted);
            store.deleteSecret(key);
            QTRY_COMPARE_WITH_TIMEOUT(deleted.count(), 1, 10000);
            QCOMPARE(readBack(store, key), std::make_pair(false, QString()));
        }
        QCOMPARE(store.pendingJobs(), 0);
    }

    void connectionListKeepsSecretsInTheKeychain()
    {
        SOCKETIO_REQUIRE_NODE();
        BackendOptions o;
        o.basicAuth = true;
        o.password = u"hunter2-dashboard"_s;
        DashboardBackend backend(DashboardBackend::Kind::Node, o);
        QVERIFY(backend.start());
        QTemporaryDir dir;
        const QString settingsFile = dir.filePath(u"dashboard.ini"_s);
        const QString pwKey = CredentialStore::passwordKey(backend.url(), u"admin"_s);
        const QString sessionKey = CredentialStore::sessionKey(backend.url(), u"/admin"_s, u"admin"_s);

        QString sessionId;
        {
            CredentialStore store(u"socketio-dashboard-test"_s);
            QSignalSpy written(&store, &CredentialStore::secretWritten);
            ConnectionList list(settingsFile, &store);
            AdminConnection *c = list.addConnection(backend.url(), u"/socket.io"_s, u"/admin"_s, false, u"admin"_s);
            QCOMPARE(list.count(), 1);
            list.connectTo(0, o.password, /*remember=*/true);
            QTRY_COMPARE_WITH_TIMEOUT(c->state(), State::Connected, 10000);
            QTRY_VERIFY_WITH_TIMEOUT(c->hasSession(), 10000);
            sessionId = c->sessionId();
            // both secrets reach the keychain
            QTRY_COMPARE_WITH_TIMEOUT(written.count(), 2, 10000);
            QCOMPARE(readBack(store, pwKey), std::make_pair(true, o.password));
            QCOMPARE(readBack(store, sessionKey), std::make_pair(true, sessionId));
        }
        // the settings file has the server, and no secret
        QFile f(settingsFile);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray ini = f.readAll();
        QVERIFY2(ini.contains(backend.url().toString().toUtf8()), ini.constData());
        QVERIFY2(ini.contains("username=admin"), ini.constData());
        QVERIFY2(!ini.contains(o.password.toUtf8()), ini.constData());
        QVERIFY2(!ini.contains(sessionId.toUtf8()), ini.constData());

        // a new start: settings from the file, secrets from the keychain, no password typed
        {
            CredentialStore store(u"socketio-dashboard-test"_s);
            ConnectionList list(settingsFile, &store);
            list.loadSettings();
            QCOMPARE(list.count(), 1);
            AdminConnection *c = list.at(0);
            QCOMPARE(c->url(), backend.url());
            QCOMPARE(c->username(), u"admin"_s);
            QVERIFY(!c->hasPassword());
            list.connectTo(0);
            QTRY_COMPARE_WITH_TIMEOUT(c->state(), State::Connected, 10000);
            QCOMPARE(c->sessionId(), sessionId);   // logged in with the stored session
            QVERIFY(c->hasPassword());

            // forgetting the server deletes its secrets
            QSignalSpy deleted(&store, &CredentialStore::secretDeleted);
            list.removeConnection(0);
            QTRY_COMPARE_WITH_TIMEOUT(deleted.count(), 2, 10000);
            QCOMPARE(readBack(store, pwKey), std::make_pair(false, QString()));
            QCOMPARE(readBack(store, sessionKey), std::make_pair(false, QString()));
        }
    }

    void refusedSessionIsForgotten()
    {
        // the keychain holds a session the server does not know (it restarted): the password is
        // used and the new session id replaces the stale one in the keychain
        SOCKETIO_REQUIRE_NODE();
        BackendOptions o;
        o.basicAuth = true;
        DashboardBackend backend(DashboardBackend::Kind::Node, o);
        QVERIFY(backend.start());
        QTemporaryDir dir;
        CredentialStore store(u"socketio-dashboard-test"_s);
        const QString sessionKey = CredentialStore::sessionKey(backend.url(), u"/admin"_s, u"admin"_s);
        QSignalSpy written(&store, &CredentialStore::secretWritten);
        store.writeSecret(sessionKey, u"ffffffffffffffff"_s);
        store.writeSecret(CredentialStore::passwordKey(backend.url(), u"admin"_s), o.password);
        QTRY_COMPARE_WITH_TIMEOUT(written.count(), 2, 10000);

        ConnectionList list(dir.filePath(u"d.ini"_s), &store);
        AdminConnection *c = list.addConnection(backend.url(), QString(), QString(), true, u"admin"_s);
        list.connectTo(0);
        QTRY_COMPARE_WITH_TIMEOUT(c->state(), State::Connected, 10000);
        QTRY_VERIFY(c->hasSession());
        QVERIFY(c->sessionId() != u"ffffffffffffffff"_s);
        QTRY_COMPARE_WITH_TIMEOUT(readBack(store, sessionKey), std::make_pair(true, c->sessionId()), 10000);
        list.removeConnection(0);
        QTRY_COMPARE_WITH_TIMEOUT(store.pendingJobs(), 0, 10000);
    }
};

QTEST_MAIN(tst_DashboardKeychain)
#include "tst_dashboard_keychain.moc"
