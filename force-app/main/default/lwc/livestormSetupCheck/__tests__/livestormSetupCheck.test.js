import { createElement } from '@lwc/engine-dom';
import LivestormSetupCheck from 'c/livestormSetupCheck';
import { getRecord } from 'lightning/uiRecordApi';
import { getObjectInfos } from 'lightning/uiObjectInfoApi';

// The signed-in user has API Enabled here; livestormSetupCheck.apiDisabled.test.js covers the opposite.
jest.mock('@salesforce/userPermission/ApiEnabled', () => ({ default: true }), { virtual: true });

const mockUser = require('./data/getRecordUser.json');
const mockUserNotMarketing = require('./data/getRecordUserNotMarketing.json');
const mockObjectInfos = require('./data/getObjectInfos.json');

const ALL_CHECKS = [
    'marketing-user',
    'api-enabled',
    'campaign-access',
    'campaign-member-access',
    'lead-access',
    'contact-access',
    'campaign-fields',
    'campaign-member-fields',
    'replay-status-field',
    'required-custom-fields'
];

const OBJECT_INDEX = { Campaign: 0, CampaignMember: 1, Lead: 2, Contact: 3 };

function objectInfos(change) {
    const copy = JSON.parse(JSON.stringify(mockObjectInfos));
    if (change) {
        change((name) => copy.results[OBJECT_INDEX[name]], copy);
    }
    return copy;
}

describe('c-livestorm-setup-check', () => {
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

    async function renderWith(user, infos) {
        const element = createElement('c-livestorm-setup-check', { is: LivestormSetupCheck });
        document.body.appendChild(element);
        getRecord.emit(user);
        getObjectInfos.emit(infos);
        await flushPromises();
        return element;
    }

    function check(element, id) {
        return element.shadowRoot.querySelector(`[data-check="${id}"]`);
    }

    function statuses(element) {
        return Object.fromEntries(
            [...element.shadowRoot.querySelectorAll('.check')].map((item) => [
                item.dataset.check,
                item.dataset.status
            ])
        );
    }

    function expectOnlyFailure(element, failing) {
        const expected = Object.fromEntries(ALL_CHECKS.map((id) => [id, id === failing ? 'fail' : 'pass']));
        expect(statuses(element)).toEqual(expected);
        expect(element.shadowRoot.querySelector('.summary').textContent).toBe(
            `1 of ${ALL_CHECKS.length} prerequisites fail.`
        );
    }

    function items(element, id) {
        return [...check(element, id).querySelectorAll('.check-items li')].map((item) => item.textContent);
    }

    it('shows a spinner until the user and the object descriptions are loaded', async () => {
        const element = createElement('c-livestorm-setup-check', { is: LivestormSetupCheck });
        document.body.appendChild(element);
        expect(element.shadowRoot.querySelector('lightning-spinner')).not.toBeNull();

        getRecord.emit(mockUser);
        await flushPromises();
        expect(element.shadowRoot.querySelector('lightning-spinner')).not.toBeNull();
        expect(element.shadowRoot.querySelector('.check')).toBeNull();

        getObjectInfos.emit(mockObjectInfos);
        await flushPromises();
        expect(element.shadowRoot.querySelector('lightning-spinner')).toBeNull();
        expect(element.shadowRoot.querySelectorAll('.check')).toHaveLength(ALL_CHECKS.length);
    });

    it('asks for the signed-in user and the four objects the listener writes', async () => {
        const element = createElement('c-livestorm-setup-check', { is: LivestormSetupCheck });
        document.body.appendChild(element);
        await flushPromises();

        const userConfig = getRecord.getLastConfig();
        expect(userConfig.recordId).toBe('005000000000000000');
        expect(userConfig.fields.map((field) => `${field.objectApiName}.${field.fieldApiName}`)).toEqual(
            expect.arrayContaining(['User.UserPermissionsMarketingUser'])
        );
        expect(getObjectInfos.getLastConfig().objectApiNames.map((object) => object.objectApiName)).toEqual([
            'Campaign',
            'CampaignMember',
            'Lead',
            'Contact'
        ]);
    });

    describe('all prerequisites met', () => {
        it('passes every check and says so', async () => {
            const element = await renderWith(mockUser, mockObjectInfos);

            expect(statuses(element)).toEqual(Object.fromEntries(ALL_CHECKS.map((id) => [id, 'pass'])));
            expect(element.shadowRoot.querySelector('.summary').textContent).toBe(
                `All ${ALL_CHECKS.length} prerequisites pass.`
            );
            expect(element.shadowRoot.querySelector('.checked-user').textContent).toContain('Ada Admin');
            expect(element.shadowRoot.querySelectorAll('.check-fix')).toHaveLength(0);
            expect(check(element, 'replay-status-field').querySelector('.check-detail').textContent).toBe(
                'Livestorm Replay Status (Livestorm_Replay_Status__c) is there and editable.'
            );
        });

        it('tells that API Enabled is checked for the signed-in user only', async () => {
            const element = await renderWith(mockUser, mockObjectInfos);

            expect(check(element, 'api-enabled').querySelector('.check-note').textContent).toContain(
                'doctor'
            );
        });

        it('is accessible', async () => {
            const element = await renderWith(mockUser, mockObjectInfos);

            await expect(element).toBeAccessible();
        });
    });

    describe('one prerequisite missing', () => {
        it('fails the Marketing User check when the checkbox is not ticked', async () => {
            const element = await renderWith(mockUserNotMarketing, mockObjectInfos);

            expectOnlyFailure(element, 'marketing-user');
            expect(check(element, 'marketing-user').querySelector('.check-fix').textContent).toContain(
                'tick Marketing User'
            );
        });

        it.each([
            ['Campaign', 'campaign-access', 'Campaigns'],
            ['CampaignMember', 'campaign-member-access', 'Campaign Members'],
            ['Lead', 'lead-access', 'Leads'],
            ['Contact', 'contact-access', 'Contacts']
        ])('fails the access check when %s cannot be created', async (object, id, plural) => {
            const element = await renderWith(
                mockUser,
                objectInfos((result) => {
                    result(object).result.createable = false;
                })
            );

            expectOnlyFailure(element, id);
            expect(check(element, id).querySelector('.check-detail').textContent).toBe(
                `You cannot create ${plural}.`
            );
            expect(check(element, id).querySelector('.check-fix')).not.toBeNull();
        });

        it('fails the access check when Leads cannot be edited', async () => {
            const element = await renderWith(
                mockUser,
                objectInfos((result) => {
                    result('Lead').result.updateable = false;
                })
            );

            expectOnlyFailure(element, 'lead-access');
            expect(check(element, 'lead-access').querySelector('.check-detail').textContent).toBe(
                'You cannot edit Leads.'
            );
        });

        it('fails the Campaign fields check and names the field that is not visible', async () => {
            const element = await renderWith(
                mockUser,
                objectInfos((result) => {
                    delete result('Campaign').result.fields.Livestorm_Event_Title__c;
                })
            );

            expectOnlyFailure(element, 'campaign-fields');
            expect(items(element, 'campaign-fields')).toEqual([
                'Livestorm_Event_Title__c: not deployed or not visible'
            ]);
        });

        it('fails the Campaign Member fields check and names the read-only field', async () => {
            const element = await renderWith(
                mockUser,
                objectInfos((result) => {
                    result('CampaignMember').result.fields.Livestorm_Attendance_Rate__c.updateable = false;
                })
            );

            expectOnlyFailure(element, 'campaign-member-fields');
            expect(items(element, 'campaign-member-fields')).toEqual([
                'Livestorm_Attendance_Rate__c: read-only'
            ]);
        });

        it('fails the Replay Status check when the field is missing', async () => {
            const element = await renderWith(
                mockUser,
                objectInfos((result) => {
                    delete result('CampaignMember').result.fields.Livestorm_Replay_Status__c;
                })
            );

            expectOnlyFailure(element, 'replay-status-field');
            expect(check(element, 'replay-status-field').querySelector('.check-fix').textContent).toContain(
                'npm run org:deploy'
            );
        });

        it('lists required custom fields that block creation, by label and API name', async () => {
            const element = await renderWith(
                mockUser,
                objectInfos((result) => {
                    result('Lead').result.fields.Preferred_Language__c.required = true;
                    result('Campaign').result.fields.Livestorm_Event_Id__c.required = true;
                })
            );

            expectOnlyFailure(element, 'required-custom-fields');
            expect(items(element, 'required-custom-fields')).toEqual([
                'Campaign: Livestorm Event Id (Livestorm_Event_Id__c)',
                'Lead: Preferred Language (Preferred_Language__c)'
            ]);
        });

        it('ignores required standard fields, which the listener always fills', async () => {
            const element = await renderWith(mockUser, mockObjectInfos);

            // Lead.LastName and Lead.Company are required in the mock and must not be reported.
            expect(check(element, 'required-custom-fields').dataset.status).toBe('pass');
        });

        it('is accessible with a failing check', async () => {
            const element = await renderWith(mockUserNotMarketing, mockObjectInfos);

            await expect(element).toBeAccessible();
        });
    });

    describe('an object the user cannot read', () => {
        it('fails its access check with the reason and marks the dependent checks as not checked', async () => {
            const element = await renderWith(
                mockUser,
                objectInfos((result) => {
                    const member = result('CampaignMember');
                    member.statusCode = 403;
                    member.result = [
                        {
                            errorCode: 'INSUFFICIENT_ACCESS',
                            message: 'You do not have access to this object.'
                        }
                    ];
                })
            );

            const found = statuses(element);
            expect(found['campaign-member-access']).toBe('fail');
            expect(found['campaign-member-fields']).toBe('unknown');
            expect(found['replay-status-field']).toBe('unknown');
            expect(found['campaign-access']).toBe('pass');
            expect(check(element, 'campaign-member-access').querySelector('.check-detail').textContent).toBe(
                'You have no access to Campaign Members. Salesforce says: You do not have access to this object.'
            );
            expect(element.shadowRoot.querySelector('.summary').textContent).toBe(
                `1 of ${ALL_CHECKS.length} prerequisites fail, 2 could not be checked.`
            );
        });
    });

    describe('wire errors', () => {
        it('shows the error panel when the user record cannot be read', async () => {
            const element = createElement('c-livestorm-setup-check', { is: LivestormSetupCheck });
            document.body.appendChild(element);
            getRecord.error(
                [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }],
                404
            );
            getObjectInfos.emit(mockObjectInfos);
            await flushPromises();

            const panel = element.shadowRoot.querySelector('c-livestorm-error-panel');
            expect(panel).not.toBeNull();
            expect(panel.shadowRoot.querySelector('.error-messages').textContent).toBe(
                'The requested resource does not exist'
            );
            expect(element.shadowRoot.querySelector('.check')).toBeNull();
        });

        it('shows the error panel when the object descriptions cannot be loaded', async () => {
            const element = createElement('c-livestorm-setup-check', { is: LivestormSetupCheck });
            document.body.appendChild(element);
            getRecord.emit(mockUser);
            getObjectInfos.error([
                { errorCode: 'INVALID_TYPE', message: 'Object CampaignMember is not supported' }
            ]);
            await flushPromises();

            const panel = element.shadowRoot.querySelector('c-livestorm-error-panel');
            expect(panel.shadowRoot.querySelector('.friendly-message').textContent).toBe(
                'Could not check the Livestorm prerequisites'
            );
            expect(panel.shadowRoot.querySelector('.error-messages').textContent).toBe(
                'Object CampaignMember is not supported'
            );

            await expect(element).toBeAccessible();
        });
    });
});
