import { createElement } from '@lwc/engine-dom';
import LivestormSessionCard from 'c/livestormSessionCard';
import { getRecord } from 'lightning/uiRecordApi';

const mockLinkedCampaign = require('./data/getRecordLinked.json');
const mockNotLinkedCampaign = require('./data/getRecordNotLinked.json');
// Fields the user cannot read are left out of a getRecord answer for optionalFields.
const mockOnDemandCampaignWithoutCounts = require('./data/getRecordOnDemandFresh.json');

const RECORD_ID = '7015g000000AbCdAAK';

describe('c-livestorm-session-card', () => {
    afterEach(() => {
        // The jsdom instance is shared across test cases in a single file so reset the DOM
        while (document.body.firstChild) {
            document.body.removeChild(document.body.firstChild);
        }
        // Prevent data saved on mocks from leaking between tests
        jest.clearAllMocks();
    });

    // Wait until the microtask queue is empty: wire configs and re-renders are applied asynchronously.
    async function flushPromises() {
        return Promise.resolve();
    }

    function createCard() {
        const element = createElement('c-livestorm-session-card', { is: LivestormSessionCard });
        element.recordId = RECORD_ID;
        document.body.appendChild(element);
        return element;
    }

    function countValue(element, key) {
        return element.shadowRoot.querySelector(`[data-count="${key}"] .count-value`).textContent;
    }

    it('shows a spinner while the Campaign loads', () => {
        const element = createCard();

        expect(element.shadowRoot.querySelector('lightning-spinner')).not.toBeNull();
        expect(element.shadowRoot.querySelector('.session')).toBeNull();
        expect(element.shadowRoot.querySelector('.not-linked')).toBeNull();
    });

    it('asks getRecord for the Campaign and its Livestorm fields', async () => {
        createCard();
        await flushPromises();

        const config = getRecord.getLastConfig();
        expect(config.recordId).toBe(RECORD_ID);
        const requested = [...config.fields, ...config.optionalFields].map((field) => field.fieldApiName);
        expect(config.fields.map((field) => field.fieldApiName)).toEqual(['Livestorm_Session_Id__c']);
        expect(requested).toEqual(
            expect.arrayContaining([
                'Livestorm_Event_Title__c',
                'Livestorm_Session_Start__c',
                'Livestorm_Event_Type__c',
                'Livestorm_Session_Status__c',
                'Livestorm_Registration_Link__c',
                'Livestorm_Registrants__c',
                'Livestorm_Attendees__c',
                'Livestorm_No_Shows__c',
                'Livestorm_Replay_Viewers__c'
            ])
        );
        config.fields
            .concat(config.optionalFields)
            .forEach((field) => expect(field.objectApiName).toBe('Campaign'));
    });

    describe('getRecord @wire data', () => {
        it('renders the linked session', async () => {
            const element = createCard();
            getRecord.emit(mockLinkedCampaign);
            await flushPromises();

            const root = element.shadowRoot;
            expect(root.querySelector('lightning-spinner')).toBeNull();
            expect(root.querySelector('.not-linked')).toBeNull();
            expect(root.querySelector('.event-title').textContent).toBe('Quarterly product update');
            expect(root.querySelector('lightning-formatted-date-time').value).toBe(
                '2024-07-10T14:00:00.000Z'
            );
            expect(root.querySelector('.event-type').textContent).toBe('Live');
            expect(root.querySelector('.session-status').textContent).toBe('Past');
            expect(root.querySelector('lightning-formatted-url').value).toBe(
                'https://app.livestorm.co/acme/quarterly-product-update'
            );
            expect(root.querySelector('.session-id').textContent).toContain(
                '0abbcb51-4a95-46d7-9879-fd141986a3a8'
            );
            expect(countValue(element, 'registrants')).toBe('128');
            expect(countValue(element, 'attendees')).toBe('87');
            expect(countValue(element, 'no-shows')).toBe('41');
            expect(countValue(element, 'replay-viewers')).toBe('12');
        });

        it('shows zero counts and placeholders when the listener has not written them yet', async () => {
            const element = createCard();
            getRecord.emit(mockOnDemandCampaignWithoutCounts);
            await flushPromises();

            const root = element.shadowRoot;
            expect(root.querySelector('.event-title').textContent).toBe('Untitled event');
            expect(root.querySelector('.event-type').textContent).toBe('On-demand');
            expect(root.querySelector('.session-status').textContent).toBe('On-demand');
            expect(root.querySelector('lightning-formatted-date-time')).toBeNull();
            expect(root.querySelector('.session-start').textContent).toBe('Not scheduled');
            expect(root.querySelector('lightning-formatted-url')).toBeNull();
            expect(root.querySelector('.registration-link').textContent).toBe('No registration page');
            ['registrants', 'attendees', 'no-shows', 'replay-viewers'].forEach((key) =>
                expect(countValue(element, key)).toBe('0')
            );
        });

        it('says the Campaign is not linked when it has no Livestorm session id', async () => {
            const element = createCard();
            getRecord.emit(mockNotLinkedCampaign);
            await flushPromises();

            const root = element.shadowRoot;
            expect(root.querySelector('.not-linked').textContent).toContain(
                'This Campaign is not linked to a Livestorm session'
            );
            expect(root.querySelector('.session')).toBeNull();
            expect(root.querySelector('lightning-spinner')).toBeNull();
        });

        it('is accessible when linked', async () => {
            const element = createCard();
            getRecord.emit(mockLinkedCampaign);
            await flushPromises();

            await expect(element).toBeAccessible();
        });

        it('is accessible when not linked', async () => {
            const element = createCard();
            getRecord.emit(mockNotLinkedCampaign);
            await flushPromises();

            await expect(element).toBeAccessible();
        });
    });

    describe('getRecord @wire error', () => {
        it('shows the error panel with the reason', async () => {
            const element = createCard();
            getRecord.error(
                [{ errorCode: 'INSUFFICIENT_ACCESS', message: 'You do not have access to this record.' }],
                403
            );
            await flushPromises();

            const panel = element.shadowRoot.querySelector('c-livestorm-error-panel');
            expect(panel).not.toBeNull();
            expect(panel.shadowRoot.querySelector('.friendly-message').textContent).toBe(
                'Could not load the Livestorm session of this Campaign'
            );
            expect(panel.shadowRoot.querySelector('.error-messages').textContent).toBe(
                'You do not have access to this record.'
            );
            expect(element.shadowRoot.querySelector('.session')).toBeNull();
            expect(element.shadowRoot.querySelector('.not-linked')).toBeNull();
        });

        it('is accessible when showing an error', async () => {
            const element = createCard();
            getRecord.error();
            await flushPromises();

            await expect(element).toBeAccessible();
        });
    });
});
