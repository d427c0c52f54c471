// InMemoryAdapter's storage for one room's members or one socket's rooms (header-only, QtCore only,
// so that the unit tests can exercise it directly).
#pragma once

#include <QList>
#include <QSet>
#include <QString>

namespace SocketIo::Internal {

/*!
  A set of strings that stays small in memory while it is small: up to LargeAbove elements live in
  a QList searched linearly (one allocation of 16 + 24 * n bytes, none when empty); past that they
  move to a QSet (Qt 6 allocates a 128-bucket span even for one element: about 1.4 KB for a
  QSet<QString>), and back to a list once the set has shrunk to SmallAtOrBelow elements (the gap
  keeps join/leave churn around one size from converting on every change).

  Almost every set of the adapter has one element (a socket's own room, the socket's one room), so
  the list is the common form. Copies share their data (both QList and QSet are implicitly shared):
  the adapter's two one-element sets of a new socket are one allocation until either changes.
  Iteration order is unspecified, as for QSet.
*/
class CompactStringSet
{
public:
    static constexpr qsizetype LargeAbove = 16;
    static constexpr qsizetype SmallAtOrBelow = 8;

    CompactStringSet() = default;
    explicit CompactStringSet(const QString &one) : m_list{one} {}

    bool isLarge() const { return !m_set.isEmpty(); }
    qsizetype size() const { return isLarge() ? m_set.size() : m_list.size(); }
    bool isEmpty() const { return size() == 0; }

    bool contains(const QString &value) const
    {
        return isLarge() ? m_set.contains(value) : m_list.contains(value);
    }

    /*! Adds \a value; false if it was there already. */
    bool insert(const QString &value)
    {
        if (isLarge()) {
            const qsizetype before = m_set.size();
            m_set.insert(value);
            return m_set.size() != before;
        }
        if (m_list.contains(value))
            return false;
        if (m_list.size() >= LargeAbove) {
            QSet<QString> set;
            set.reserve(m_list.size() * 2);
            for (const QString &v : std::as_const(m_list))
                set.insert(v);
            set.insert(value);
            m_set = std::move(set);
            m_list = QList<QString>();
            return true;
        }
        m_list.append(value);
        return true;
    }

    /*! Removes \a value; false if it was not there. */
    bool remove(const QString &value)
    {
        if (isLarge()) {
            if (!m_set.remove(value))
                return false;
            if (m_set.size() <= SmallAtOrBelow) {
                QList<QString> list;
                list.reserve(m_set.size());
                for (const QString &v : std::as_const(m_set))
                    list.append(v);
                m_list = std::move(list);
                m_set = QSet<QString>();   // frees the buckets (remove() keeps them)
            }
            return true;
        }
        const qsizetype i = m_list.indexOf(value);
        if (i < 0)
            return false;
        if (m_list.size() == 1) {
            m_list = QList<QString>();   // no allocation kept for an empty set
            return true;
        }
        // order is unspecified: move the last element into the gap instead of shifting
        if (i != m_list.size() - 1)
            m_list[i] = m_list.constLast();
        m_list.removeLast();
        return true;
    }

    /*! Calls \a f(const QString &) for each element. */
    template<typename F>
    void forEach(F &&f) const
    {
        if (isLarge()) {
            for (const QString &v : m_set)
                f(v);
        } else {
            for (const QString &v : m_list)
                f(v);
        }
    }

    QSet<QString> toSet() const
    {
        if (isLarge())
            return m_set;
        return QSet<QString>(m_list.cbegin(), m_list.cend());
    }

private:
    QList<QString> m_list;   // the elements while not large
    QSet<QString> m_set;     // the elements while large (never empty then)
};

} // namespace SocketIo::Internal
